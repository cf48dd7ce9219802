import { Counter, Gauge, type Registry } from 'prom-client';
import type { Metrics } from '../metrics/registry.js';
import type { OutboxState } from './outbox.js';

export interface SyncMetrics {
  queued: Counter;
  deliveries: Counter<'result'>;
  suppressed: Counter;
  /** Where the gauges read the outbox at scrape time; the live sync instance sets it. */
  source?: () => OutboxState;
}

// One set per registry: a restarted sync (tests, config reload) must not register names twice.
const byRegistry = new WeakMap<Registry, SyncMetrics>();

export function syncMetrics(metrics: Metrics): SyncMetrics {
  const cached = byRegistry.get(metrics.registry);
  if (cached) return cached;
  const registers = [metrics.registry];
  const m: SyncMetrics = {
    queued: new Counter({ name: 'earshot_sync_batches_queued_total', help: 'Upstream aggregate batches built and queued in the outbox', registers }),
    deliveries: new Counter({
      name: 'earshot_sync_deliveries_total',
      help: 'Attempts to deliver a batch upstream, by result (delivered | failed)',
      labelNames: ['result'] as const,
      registers,
    }),
    suppressed: new Counter({
      name: 'earshot_sync_suppressed_cells_total',
      help: 'Aggregate cells left out of batches for having fewer than sync.minCellCalls calls',
      registers,
    }),
  };
  const read = (): OutboxState | undefined => {
    try {
      return m.source?.();
    } catch {
      return undefined; // store closing: report nothing rather than fail the scrape
    }
  };
  new Gauge({
    name: 'earshot_sync_outbox_pending',
    help: 'Batches queued for upstream and not yet delivered',
    registers,
    collect() {
      const s = read();
      if (s) this.set(s.pending);
    },
  });
  new Gauge({
    name: 'earshot_sync_lag_seconds',
    help: 'Seconds since the end of the newest delivered period (or since the oldest undelivered batch was queued)',
    registers,
    collect() {
      const s = read();
      if (!s) return;
      const since = s.lastDeliveredTo ?? s.oldestPendingAt;
      this.set(since === undefined ? 0 : Math.max(0, (Date.now() - since) / 1000));
    },
  });
  byRegistry.set(metrics.registry, m);
  return m;
}
