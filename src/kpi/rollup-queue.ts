// Rollups at call end, off the event loop that carries RTP and SIP. The read (nine bucket aggregates
// over call_facts, ~40 ms at 1M calls) runs in the store's read pool; the write (nine small rows)
// stays on the main connection. Rows to recompute wait in a bounded set keyed by row, so calls
// ending in the same buckets share one recomputation. One batch is in flight at a time: a batch
// reads a snapshot taken after every earlier write, so a later batch never loses to an earlier one.
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../metrics/registry.js';
import type { RollupKey } from '../store/repos/kpi-rollups.js';
import type { Store } from '../store/types.js';
import { rollupKeys, writeRollups, type RollupOptions } from './rollups.js';

export interface RollupQueue {
  /** Queues the rows of a call whose end is stored (its summary flushed). */
  add(callId: string): void;
  /** Resolves when nothing is queued or in flight (tests, benches). */
  settled(): Promise<void>;
  /** Rows waiting (not counting a batch in flight). */
  readonly pending: number;
  /** Stops the queue; rows still queued or in flight are recomputed here, on the main connection. */
  close(): void;
}

export interface RollupQueueOptions {
  /** Rows waiting before new ones are dropped (counted; the next call in that bucket recomputes it). */
  maxPending?: number;
  /** Rows per read task. */
  batch?: number;
  /** A read running longer is aborted (its rows are dropped, counted); default the pool's (`store.readTimeoutMs`). */
  timeoutMs?: number;
  /** Wait after the read pool refused for a full queue before trying again. */
  retryMs?: number;
}

type Outcome = 'ok' | 'timeout' | 'busy' | 'error' | 'dropped';

function counters(metrics: Metrics) {
  const reg = metrics.registry;
  return {
    rows:
      (reg.getSingleMetric('earshot_kpi_rollup_rows_total') as Counter<'outcome'> | undefined) ??
      new Counter({
        name: 'earshot_kpi_rollup_rows_total',
        help: 'Rollup rows recomputed off the event loop at call end, by outcome (ok, timeout, busy: retried, error, dropped: queue full)',
        labelNames: ['outcome'] as const,
        registers: [reg],
      }),
    pending: (reg.getSingleMetric('earshot_kpi_rollup_pending') as Gauge | undefined) ?? new Gauge({ name: 'earshot_kpi_rollup_pending', help: 'Rollup rows waiting for the read pool', registers: [reg] }),
  };
}

const id = (k: RollupKey) => `${k.bucket}\u0000${k.start}\u0000${k.dim}\u0000${k.value}`;

export function createRollupQueue(
  deps: { store: Pick<Store, 'repos' | 'reads'>; metrics: Metrics; log: Logger; rollup: RollupOptions },
  opts: RollupQueueOptions = {},
): RollupQueue {
  const { store, log } = deps;
  const repo = store.repos.kpiRollups;
  const maxPending = opts.maxPending ?? 4096;
  const batchSize = opts.batch ?? 64;
  const runOpts = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
  const retryMs = opts.retryMs ?? 1000;
  const windowMs = deps.rollup.repeatWindowDays * 86_400_000;
  const m = counters(deps.metrics);
  const pending = new Map<string, RollupKey>();
  let inFlight: RollupKey[] = [];
  let running: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  let waiters: (() => void)[] = [];
  const count = (outcome: Outcome, n: number) => n && m.rows.inc({ outcome }, n);
  (m.pending as unknown as { collect: () => void }).collect = () => m.pending.set(pending.size);

  const wake = () => {
    if (running || retry || pending.size) return;
    for (const w of waiters.splice(0)) w();
  };

  async function drain(): Promise<void> {
    while (pending.size && !closed) {
      const keys = [...pending.values()].slice(0, batchSize);
      for (const k of keys) pending.delete(id(k));
      inFlight = keys;
      try {
        const aggs = await store.reads!.run('kpi.rollupAggregates', { keys, windowMs }, runOpts);
        if (closed) return; // close() recomputed them on the main connection
        writeRollups(repo, keys, aggs);
        count('ok', keys.length);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (closed) return;
        if (code === 'EARSHOT_ERR_READ_BUSY') {
          // The pool's queue is full of other reads: keep the rows (a newer request for one wins) and try later.
          for (const k of keys) if (!pending.has(id(k))) pending.set(id(k), k);
          count('busy', keys.length);
          retry = setTimeout(() => {
            retry = undefined;
            kick();
          }, retryMs);
          retry.unref();
          return;
        }
        count(code === 'EARSHOT_ERR_READ_TIMEOUT' ? 'timeout' : 'error', keys.length);
        log.warn({ err: { code, message: (err as Error).message }, rows: keys.length }, 'kpi: rollup rows not recomputed');
      } finally {
        inFlight = [];
      }
    }
  }

  function kick(): void {
    if (running || retry || closed) return;
    running = drain().finally(() => {
      running = undefined;
      if (pending.size && !retry && !closed) kick();
      else wake();
    });
  }

  return {
    add(callId) {
      if (closed) return;
      // A primary-key read on the main connection: which rows the call belongs to.
      const call = repo.call(callId);
      if (!call) return;
      let dropped = 0;
      for (const k of rollupKeys(call, deps.rollup.siteId)) {
        if (pending.has(id(k))) continue;
        if (pending.size >= maxPending) dropped++;
        else pending.set(id(k), k);
      }
      if (dropped) {
        count('dropped', dropped);
        log.warn({ rows: dropped }, 'kpi: rollup queue full, rows dropped');
      }
      kick();
    },
    settled() {
      if (!running && !retry && !pending.size) return Promise.resolve();
      return new Promise<void>((r) => waiters.push(r));
    },
    get pending() {
      return pending.size;
    },
    close() {
      if (closed) return;
      closed = true;
      if (retry) clearTimeout(retry);
      retry = undefined;
      // Shutting down, the loop carries no more calls: finish what was asked for here.
      const keys = [...inFlight, ...pending.values()];
      pending.clear();
      if (keys.length) {
        try {
          writeRollups(repo, keys, repo.aggregateAll(keys, windowMs));
          count('ok', keys.length);
        } catch (err) {
          count('error', keys.length);
          log.warn({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'kpi: rollup rows not recomputed at close');
        }
      }
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
  };
}
