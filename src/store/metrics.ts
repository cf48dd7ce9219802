import { statSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics } from '../metrics/registry.js';

export interface StoreMetrics {
  writeSeconds: Histogram;
  writeErrors: Counter<'reason'>;
  droppedRows: Counter<'reason'>;
  interrupted: Counter;
  /** Files whose size `earshot_db_size_bytes` reports; a store adds itself at open, leaves at close. */
  files: Set<string>;
  /** Queues `earshot_store_queue_rows` sums, read at scrape time (a gauge update per row costs more than the insert). */
  queues: Set<{ readonly pending: number }>;
  badInput(parser: string, reason: string): void;
}

// One set of store metrics per registry: tests (and `earshot db` commands) may open several stores
// against one registry, and prom-client refuses a second metric with the same name.
const byRegistry = new WeakMap<Registry, StoreMetrics>();

export function storeMetrics(metrics?: Metrics): StoreMetrics {
  const registry = metrics?.registry ?? new Registry();
  const cached = byRegistry.get(registry);
  if (cached) return cached;
  const files = new Set<string>();
  const queues = new Set<{ readonly pending: number }>();
  const registers = [registry];
  const m: StoreMetrics = {
    files,
    queues,
    badInput: metrics ? (p, r) => metrics.badInput(p, r) : () => {},
    writeSeconds: new Histogram({
      name: 'earshot_store_write_seconds',
      help: 'Time to commit one batch of queued writes',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    writeErrors: new Counter({
      name: 'earshot_store_write_errors_total',
      help: 'Batch commits that failed and were kept for retry (full disk, busy, read-only, I/O)',
      labelNames: ['reason'] as const,
      registers,
    }),
    droppedRows: new Counter({
      name: 'earshot_store_dropped_rows_total',
      help: 'Queued writes given up: the row was invalid (bad reference, duplicate) or the queue was full',
      labelNames: ['reason'] as const,
      registers,
    }),
    interrupted: new Counter({
      name: 'earshot_store_interrupted_calls_total',
      help: 'Calls found still active at open (left by a crash) and marked interrupted',
      registers,
    }),
  };
  new Gauge({
    name: 'earshot_store_queue_rows',
    help: 'Writes queued, not yet committed',
    registers,
    collect() {
      let n = 0;
      for (const q of queues) n += q.pending;
      this.set(n);
    },
  });
  new Gauge({
    name: 'earshot_db_size_bytes',
    help: 'Size of the SQLite database and its write-ahead log on disk',
    registers,
    collect() {
      let total = 0;
      for (const f of files) total += sizeOf(f) + sizeOf(`${f}-wal`);
      this.set(total);
    },
  });
  byRegistry.set(registry, m);
  return m;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0; // no WAL right after a checkpoint, or the file was removed
  }
}
