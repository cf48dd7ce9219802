import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/registry.js';

/** A check; ingest fronts add their state (open, local-only, closed, down, off) and how to open them. */
export type Readiness = () => Record<string, { ok: boolean; detail: string; state?: string; how?: string }>;

/** A problem that does not stop the appliance taking and analysing calls, but loses or delays something. */
export interface Degradation {
  detail: string;
  since: number;
}

const SAMPLE_MS = 1000;
// The store writer retries a failed batch at most every 5 s: an error counter that has not moved for
// longer than that (plus sampling slack) means the writes succeed again.
const FRESH_MS = 7000;
const REASONS: Record<string, string> = {
  full: 'disk full',
  busy: 'database busy (locked by another process)',
  readonly: 'database read-only',
  io: 'disk I/O error',
};

async function byLabel(metrics: Metrics, name: string, label: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const m = metrics.registry.getSingleMetric(name);
  if (!m) return out;
  for (const v of (await m.get()).values) {
    const k = String((v.labels as Record<string, unknown>)[label] ?? '');
    out.set(k, (out.get(k) ?? 0) + v.value);
  }
  return out;
}

/**
 * Watches the store writer through its own metrics (write errors by reason, queued rows, rows
 * dropped because the queue was full), so a full disk shows on the health endpoints without the
 * web stage reaching into the store. Sampled in the background: a failure is "current" while the
 * error counter keeps moving.
 */
function storeWriteWatch(metrics: Metrics): { current(): Degradation | undefined; stop(): void } {
  let prev: Map<string, number> | undefined;
  let prevDropped = 0;
  let lastError: { at: number; reason: string } | undefined;
  let lastDropAt = 0;
  let since = 0;
  let queued = 0;
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = Date.now();
      const errors = await byLabel(metrics, 'earshot_store_write_errors_total', 'reason');
      for (const [reason, n] of errors) if (prev && n > (prev.get(reason) ?? 0)) lastError = { at: now, reason };
      // The first sample is a baseline: errors counted before it may be long over.
      prev = errors;
      const dropped = (await byLabel(metrics, 'earshot_store_dropped_rows_total', 'reason')).get('queue-full') ?? 0;
      if (dropped > prevDropped) lastDropAt = now;
      prevDropped = dropped;
      queued = (await byLabel(metrics, 'earshot_store_queue_rows', '')).get('') ?? 0;
      const failing = lastError !== undefined && now - lastError.at < FRESH_MS && queued > 0;
      if (failing && !since) since = lastError!.at;
      if (!failing) since = 0;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void sample().catch(() => {}), SAMPLE_MS);
  timer.unref();
  void sample().catch(() => {});
  return {
    current() {
      if (!since || !lastError) return undefined;
      const what = REASONS[lastError.reason] ?? `write error (${lastError.reason})`;
      const dropping = Date.now() - lastDropAt < FRESH_MS ? '; the queue is full and new rows are being DROPPED' : '';
      return { since, detail: `store writes failing: ${what}; ${queued} rows queued in memory and retried; live analysis continues${dropping}` };
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * Unauthenticated operational endpoints: liveness, readiness and Prometheus metrics.
 *
 * A failing store (full disk) does not make the appliance unready: calls are still answered and
 * analysed and the rows wait in memory, so taking it out of rotation would only lose analysis.
 * It is reported as `degraded` on both /healthz and /readyz (and by the store's own metrics).
 */
export function healthRoutes(app: FastifyInstance, deps: { readiness: Readiness; metrics: Metrics }): void {
  const store = storeWriteWatch(deps.metrics);
  app.addHook('onClose', async () => store.stop());
  const degraded = (): Record<string, Degradation> | undefined => {
    const s = store.current();
    return s ? { store: s } : undefined;
  };

  app.get('/healthz', async () => ({ ok: true, degraded: degraded() }));

  app.get('/readyz', async (_req, reply) => {
    let checks: ReturnType<Readiness>;
    try {
      checks = deps.readiness();
    } catch {
      checks = { readiness: { ok: false, detail: 'readiness check failed' } };
    }
    const ready = Object.values(checks).every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks, degraded: degraded() });
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
