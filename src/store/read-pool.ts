// Heavy reads (reports, dry runs, rollups) off the event loop that carries RTP and SIP: piscina
// worker threads, each with its own read-only connection, a bounded queue and a per-task timeout.
// A task that runs too long is aborted: its caller gets EARSHOT_ERR_READ_TIMEOUT at once and piscina
// terminates the worker and starts a fresh one, so later reads go on. Caveat: better-sqlite3 12 does
// not expose sqlite3_interrupt, and Worker.terminate() only takes effect when the thread returns to
// JavaScript, so the old thread still finishes the statement it is in (a core busy, off the loop).
// Only a child process could be killed mid-statement; reads here are bounded (indexed ranges).
import { Piscina } from 'piscina';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { EarshotError } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';
import type { ReadName, READS } from './reads/index.js';
import type { ReadRequest, ReadWorkerData } from './read-worker.js';

export interface ReadPoolOptions {
  /** The database file (a memory database cannot be shared with a worker). */
  path: string;
  /** Worker threads (`store.readWorkers`, default 1). */
  workers?: number;
  /** A task running longer is aborted and its worker replaced (`store.readTimeoutMs`, default 30 s). */
  timeoutMs?: number;
  /** Tasks waiting beyond the running ones before `run` refuses (`store.readQueue`, default 16). */
  maxQueue?: number;
  metrics?: Metrics;
  log?: Logger;
  /** A tasks module other than src/store/reads (tests). */
  tasks?: URL;
  /**
   * Stages' own task modules (each exports `READS`), loaded beside the store's: a stage keeps its
   * heavy reads in its folder and the store imports no stage. The composition root passes them.
   */
  stageTasks?: URL[];
}

export interface RunOptions {
  /** This task's limit instead of the pool's (a dry run an operator waits for may want less). */
  timeoutMs?: number;
}

type Args<N extends ReadName> = Parameters<(typeof READS)[N]>[1];
type Result<N extends ReadName> = ReturnType<(typeof READS)[N]>;

export interface ReadPool {
  run<N extends ReadName>(name: N, args: Args<N>, opts?: RunOptions): Promise<Result<N>>;
  /** Runs a task of a custom tasks module by name (tests, or a caller with its own module). */
  runNamed(name: string, args: unknown, opts?: RunOptions): Promise<unknown>;
  /** Whether the workers load this task module (a stage's `stageTasks`): else the caller reads on the loop. */
  serves(tasks: URL): boolean;
  readonly queued: number;
  close(): Promise<void>;
}

interface ReadPoolMetrics {
  queue: Gauge;
  seconds: Histogram<'task' | 'outcome'>;
  rejected: Counter<'task'>;
  timeouts: Counter<'task'>;
  pools: Set<{ readonly queued: number }>;
}

const byRegistry = new WeakMap<Registry, ReadPoolMetrics>();

function poolMetrics(metrics?: Metrics): ReadPoolMetrics {
  const registry = metrics?.registry ?? new Registry();
  const cached = byRegistry.get(registry);
  if (cached) return cached;
  const registers = [registry];
  const pools = new Set<{ readonly queued: number }>();
  const m: ReadPoolMetrics = {
    pools,
    queue: new Gauge({
      name: 'earshot_store_read_queue',
      help: 'Heavy read tasks waiting for a read worker',
      registers,
      collect() {
        let n = 0;
        for (const p of pools) n += p.queued;
        this.set(n);
      },
    }),
    seconds: new Histogram({
      name: 'earshot_store_read_seconds',
      help: 'Time from submitting a heavy read task to its result, by task and outcome (ok, error, timeout)',
      labelNames: ['task', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    rejected: new Counter({
      name: 'earshot_store_read_rejected_total',
      help: 'Heavy read tasks refused because the read queue was full',
      labelNames: ['task'] as const,
      registers,
    }),
    timeouts: new Counter({
      name: 'earshot_store_read_timeouts_total',
      help: 'Heavy read tasks aborted for running past store.readTimeoutMs (their worker is replaced)',
      labelNames: ['task'] as const,
      registers,
    }),
  };
  byRegistry.set(registry, m);
  return m;
}

function workerFile(): string {
  // Under a TypeScript loader (tap) this module is .ts and so is its worker.
  return new URL(import.meta.url.endsWith('.ts') ? './read-worker.ts' : './read-worker.js', import.meta.url).href;
}

function tasksFile(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './reads/index.ts' : './reads/index.js', import.meta.url);
}

export function createReadPool(opts: ReadPoolOptions): ReadPool {
  const m = poolMetrics(opts.metrics);
  const workers = opts.workers ?? 1;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxQueue = opts.maxQueue ?? 16;
  const modules = [(opts.tasks ?? tasksFile()).href, ...(opts.stageTasks ?? []).map((u) => u.href)];
  const piscina = new Piscina<ReadRequest, unknown>({
    filename: workerFile(),
    minThreads: workers,
    maxThreads: workers,
    // Abortable tasks never share a thread anyway; one task per worker keeps timings honest.
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.MAX_SAFE_INTEGER,
    workerData: { path: opts.path, tasks: modules } satisfies ReadWorkerData,
  });
  let closed = false;
  // A worker that fails outside a task (its file gone, the addon missing) must not crash the process:
  // piscina rejects the tasks it held and starts another.
  piscina.on('error', (err: unknown) => {
    if (!closed) opts.log?.warn({ code: (err as { code?: string }).code }, 'read worker failed');
  });
  // Our own FIFO in front of piscina: a task reaches piscina only when a worker is free, so its
  // timeout measures its own run, not the time it waited behind a slow one.
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = () => {
    running--;
    waiting.shift()?.();
  };

  async function runNamed(name: string, args: unknown, opts: RunOptions = {}): Promise<unknown> {
    if (closed) throw new EarshotError('EARSHOT_ERR_STORE_CLOSED', 'the read pool is closed');
    if (running >= workers) {
      if (waiting.length >= maxQueue) {
        m.rejected.inc({ task: name });
        throw new EarshotError('EARSHOT_ERR_READ_BUSY', `${waiting.length} reads already waiting`);
      }
      await new Promise<void>((go) => waiting.push(go));
      if (closed) throw new EarshotError('EARSHOT_ERR_STORE_CLOSED', 'the read pool is closed');
    }
    running++;
    const limit = opts.timeoutMs ?? timeoutMs;
    const signal = AbortSignal.timeout(limit);
    const end = m.seconds.startTimer({ task: name });
    try {
      const r = await piscina.run({ name, args }, { signal });
      end({ outcome: 'ok' });
      return r;
    } catch (err) {
      if (signal.aborted) {
        end({ outcome: 'timeout' });
        m.timeouts.inc({ task: name });
        throw new EarshotError('EARSHOT_ERR_READ_TIMEOUT', `${name} ran past ${limit} ms`, { cause: err });
      }
      end({ outcome: 'error' });
      throw err;
    } finally {
      next();
    }
  }

  const pool: ReadPool = {
    run: (name, args, o) => runNamed(name, args, o) as never,
    runNamed,
    serves: (tasks) => modules.includes(tasks.href),
    get queued() {
      return waiting.length;
    },
    async close() {
      if (closed) return;
      closed = true;
      m.pools.delete(pool);
      for (const go of waiting.splice(0)) go(); // each wakes, sees `closed` and is refused
      await piscina.destroy();
    },
  };
  m.pools.add(pool);
  return pool;
}
