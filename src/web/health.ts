import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import { EarshotError } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';
import type { Sessions } from './auth/sessions.js';
import { sendError } from './errors.js';

export type Readiness = () => Record<string, { ok: boolean; detail: string }>;

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
 * Who may scrape /metrics: with neither `http.metrics.token(File)` nor `http.metrics.allow` set,
 * anyone (the default, as before); otherwise a caller needs the bearer token or an allowed address.
 */
export function metricsAccess(cfg: Config['http']['metrics']): { open: boolean; allowed(req: FastifyRequest): boolean } {
  let token = cfg.token;
  if (cfg.tokenFile) {
    try {
      token = readFileSync(cfg.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new EarshotError('EARSHOT_ERR_CONFIG', `http.metrics.tokenFile: cannot read ${cfg.tokenFile}`, { cause: err });
    }
    if (token.length < 16) throw new EarshotError('EARSHOT_ERR_CONFIG', 'http.metrics.tokenFile: the token must be at least 16 characters');
  }
  const list = cfg.allow.length ? new net.BlockList() : undefined;
  for (const cidr of cfg.allow) {
    const [addr, bits] = cidr.split('/');
    const type = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list!.addAddress(addr, type);
    else list!.addSubnet(addr, Number(bits), type);
  }
  const want = token ? Buffer.from(`Bearer ${token}`) : undefined;
  return {
    open: !want && !list,
    allowed(req) {
      if (!want && !list) return true;
      const given = req.headers.authorization;
      if (want && typeof given === 'string' && given.length === want.length && timingSafeEqual(Buffer.from(given), want)) return true;
      if (!list) return false;
      const ip = req.socket.remoteAddress?.replace(/^::ffff:(?=\d+\.)/, '') ?? '';
      return net.isIP(ip) !== 0 && list.check(ip, net.isIPv6(ip) ? 'ipv6' : 'ipv4');
    },
  };
}

// Absolute file paths (Unix and Windows) in a readiness detail: server internals an anonymous
// caller has no business seeing.
const PATHS = /(?<![\w.:/\\])(?:[A-Za-z]:\\|\/)(?:[\w.@+-]+[\\/])*[\w.@+-]+/g;
export const withoutPaths = (detail: string) => detail.replace(PATHS, '[path]');

/**
 * Unauthenticated operational endpoints: liveness, readiness and Prometheus metrics.
 *
 * A failing store (full disk) does not make the appliance unready: calls are still answered and
 * analysed and the rows wait in memory, so taking it out of rotation would only lose analysis.
 * It is reported as `degraded` on both /healthz and /readyz (and by the store's own metrics).
 */
export function healthRoutes(
  app: FastifyInstance,
  deps: { readiness: Readiness; metrics: Metrics; config: Config; sessions: Sessions; sessionCookie: string },
): void {
  const store = storeWriteWatch(deps.metrics);
  const access = metricsAccess(deps.config.http.metrics);
  // Full readiness details (file paths) for a console session or a metrics-authorised caller.
  const trusted = (req: FastifyRequest) =>
    Boolean(deps.sessions.get(req.cookies?.[deps.sessionCookie])) || (!access.open && access.allowed(req));
  app.addHook('onClose', async () => store.stop());
  const degraded = (): Record<string, Degradation> | undefined => {
    const s = store.current();
    return s ? { store: s } : undefined;
  };

  app.get('/healthz', async () => ({ ok: true, degraded: degraded() }));

  app.get('/readyz', async (req, reply) => {
    let checks: ReturnType<Readiness>;
    try {
      checks = deps.readiness();
    } catch {
      checks = { readiness: { ok: false, detail: 'readiness check failed' } };
    }
    const ready = Object.values(checks).every((c) => c.ok);
    if (!trusted(req)) {
      checks = Object.fromEntries(Object.entries(checks).map(([k, c]) => [k, { ...c, detail: withoutPaths(c.detail) }]));
    }
    return reply.code(ready ? 200 : 503).send({ ready, checks, degraded: degraded() });
  });

  app.get('/metrics', async (req, reply) => {
    if (!access.allowed(req)) {
      deps.metrics.badInput('api', 'metrics-auth');
      return sendError(reply.header('www-authenticate', 'Bearer realm="earshot-metrics"'), 'EARSHOT_ERR_UNAUTHENTICATED', 'metrics need the bearer token or an allowed address');
    }
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
