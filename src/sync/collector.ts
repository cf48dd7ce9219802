import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { installErrorHandling, sendError } from '../error-handler.js';
import { EarshotError } from '../errors.js';
import { createMetrics, type Metrics } from '../metrics/registry.js';
import { SyncCollectorRepo } from '../store/repos/sync-collector.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, batchIdFor, canonicalJson, verifySignature } from './sign.js';

export interface CollectorOptions {
  /** Per-site shared secret: a lookup, or a map of site id → secret. */
  secret?: (siteId: string) => string | undefined;
  secrets?: Record<string, string>;
  /** The collector's own SQLite file (created if missing). */
  dbPath: string;
  log: Logger;
  /** Defaults to a registry of its own, served at GET /metrics. */
  metrics?: Metrics;
  bodyLimit?: number;
  /** PEM key and certificate: serve HTTPS directly (otherwise put it behind a TLS proxy). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

const SITE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Secrets from the CLI's repeated `--secret`: `site-id=secret` for one site, or a bare secret
 * shared by every site not named. Throws EARSHOT_ERR_CONFIG on a malformed or short entry.
 */
export function secretLookup(specs: string[]): (siteId: string) => string | undefined {
  const bySite = new Map<string, string>();
  let shared: string | undefined;
  for (const spec of specs) {
    const m = /^([a-z0-9][a-z0-9-]{0,62})=(.*)$/.exec(spec);
    const secret = m ? m[2] : spec;
    if (secret.length < 16) throw new EarshotError('EARSHOT_ERR_CONFIG', 'collector --secret: each secret needs at least 16 characters');
    if (m) bySite.set(m[1], secret);
    else shared = secret;
  }
  if (!bySite.size && shared === undefined) throw new EarshotError('EARSHOT_ERR_CONFIG', 'collector needs at least one --secret');
  return (siteId) => bySite.get(siteId) ?? shared;
}

type Verdict = { status: number; result: 'stored' | 'duplicate' | 'rejected'; reason?: string };

/**
 * The reference collector for upstream sync: POST /v1/batches verifies the HMAC signature with the
 * site's secret, checks the batch id is the hash of site and period, and stores each batch once
 * (a repeat gets 200 'duplicate'). Rejections answer 400/401 and are counted, never thrown.
 */
export function createCollector(opts: CollectorOptions): FastifyInstance {
  if (!opts.secret && !opts.secrets) throw new EarshotError('EARSHOT_ERR_CONFIG', 'collector needs a secret lookup or a secrets map');
  const lookup = opts.secret ?? ((site: string) => (opts.secrets && Object.hasOwn(opts.secrets, site) ? opts.secrets[site] : undefined));
  const metrics = opts.metrics ?? createMetrics({ defaults: false });
  const batches =
    (metrics.registry.getSingleMetric('earshot_collector_batches_total') as Counter<'result'> | undefined) ??
    new Counter({
      name: 'earshot_collector_batches_total',
      help: 'Batches received by the collector, by result (stored | duplicate | rejected)',
      labelNames: ['result'] as const,
      registers: [metrics.registry],
    });

  const repo = SyncCollectorRepo.open(opts.dbPath);

  const app = Fastify({
    loggerInstance: opts.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024,
    ...(opts.tls ? { https: { key: opts.tls.key, cert: opts.tls.cert } } : {}),
  }) as unknown as FastifyInstance; // the routes are the same over HTTP and HTTPS
  // JSON only, kept as text: the handler parses it itself so malformed JSON is a counted 400.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addHook('onClose', async () => repo.close());
  // The one error handler and body (src/error-handler.ts); fastify's own refusals (body too large,
  // wrong content type) are counted under the collector's reasons.
  installErrorHandling(app, metrics, {
    badInput: (r) => {
      metrics.badInput('sync-collector', r === 'too-large' ? 'body-too-large' : r === 'media-type' ? 'content-type' : 'request');
      batches.inc({ result: 'rejected' });
    },
  });

  function receive(raw: unknown, signature: string | undefined, idemKey: string | undefined): Verdict {
    const reject = (status: number, reason: string): Verdict => {
      metrics.badInput('sync-collector', reason);
      return { status, result: 'rejected', reason };
    };
    if (typeof raw !== 'string') return reject(415, 'content-type');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return reject(400, 'not-json');
    }
    const b = body as { v?: unknown; batchId?: unknown; siteId?: unknown; period?: { from?: unknown; to?: unknown }; cells?: unknown };
    if (
      typeof b !== 'object' || b === null || b.v !== 1 || typeof b.batchId !== 'string' || typeof b.siteId !== 'string' ||
      !SITE.test(b.siteId) || !Number.isSafeInteger(b.period?.from) || !Number.isSafeInteger(b.period?.to) || !Array.isArray(b.cells)
    ) {
      return reject(400, 'shape');
    }
    const secret = lookup(b.siteId);
    if (!secret) return reject(401, 'unknown-site');
    // Verify over the canonical form, so re-serialisation in transit does not matter.
    const canonical = canonicalJson(body);
    if (!verifySignature(canonical, secret, signature)) return reject(401, 'bad-signature');
    const from = b.period!.from as number;
    const to = b.period!.to as number;
    if (b.batchId !== batchIdFor(b.siteId, from, to) || (idemKey !== undefined && idemKey !== b.batchId)) {
      return reject(400, 'batch-id');
    }
    const fresh = repo.insert({ batchId: b.batchId, siteId: b.siteId, from, to, receivedAt: Date.now(), payload: canonical });
    return fresh ? { status: 201, result: 'stored' } : { status: 200, result: 'duplicate' };
  }

  app.post('/v1/batches', async (req, reply) => {
    const sig = req.headers[SIGNATURE_HEADER];
    const key = req.headers[IDEMPOTENCY_HEADER];
    const v = receive(req.body, typeof sig === 'string' ? sig : undefined, typeof key === 'string' ? key : undefined);
    batches.inc({ result: v.result });
    if (v.result === 'rejected') req.log.warn({ reason: v.reason }, 'sync batch rejected');
    if (v.reason) return sendError(reply, v.status === 401 ? 'EARSHOT_ERR_UNAUTHENTICATED' : v.status === 415 ? 'EARSHOT_ERR_MEDIA_TYPE' : 'EARSHOT_ERR_BAD_INPUT', `batch rejected: ${v.reason}`, { reason: v.reason }, v.status);
    return reply.code(v.status).send({ status: v.result });
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  return app;
}
