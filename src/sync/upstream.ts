import type { Logger } from 'pino';
import { Agent } from 'undici';
import { readSyncCa } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../store/types.js';
import { createBatchBuilder } from './builder.js';
import { syncMetrics } from './metrics.js';
import { syncOutbox, type PendingRow } from './outbox.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signBody } from './sign.js';
import type { SyncRepo } from '../store/repos/sync.js';

export { readSyncCa };

export interface SyncDeps {
  config: Config;
  log: Logger;
  store: Pick<Store, 'repos' | 'path'>;
  metrics: Metrics;
}

export interface SyncOptions {
  /** HTTP client; the global fetch unless a test needs otherwise. */
  fetch?: typeof fetch;
  /** Wait this long after a period ends before building it, so queued store writes have landed. */
  graceMs?: number;
  requestTimeoutMs?: number;
  /** Noise source for tests; implies building inline rather than in the worker thread. */
  random?: () => number;
  /** Build batches on the main thread (tests, tools). */
  inline?: boolean;
}

export interface Sync {
  /** Queues every finished period not yet queued, then delivers what is due. */
  tick(now?: number): Promise<void>;
  close(): Promise<void>;
}

const BACKFILL_MS = 7 * 86_400_000; // first run: report at most the last week
const MAX_BUILDS_PER_TICK = 200;
const MAX_SENDS_PER_TICK = 100;
/** Transport error codes that mean "the collector's certificate is not trusted" (or not its name). */
const TLS_TRUST = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/;


/**
 * Upstream aggregate sync. Each finished period becomes one batch in the durable outbox; delivery
 * retries with backoff across restarts and long outages. The batch id is the idempotency key, so a
 * batch sent twice (response lost, crash before marking it delivered) is stored once upstream.
 */
export function createSync(deps: SyncDeps, opts: SyncOptions = {}): Sync {
  const { config, log } = deps;
  const interval = config.sync.intervalSeconds * 1000;
  const grace = opts.graceMs ?? 120_000;
  const send = opts.fetch ?? fetch;
  // A private CA replaces the system's trust store for this one destination only (not process-wide
  // like NODE_EXTRA_CA_CERTS), so the collector's certificate must chain to it.
  const ca = readSyncCa(config);
  const dispatcher = ca ? new Agent({ connect: { ca } }) : undefined;
  const outbox = syncOutbox(deps.store.repos.syncOutbox);
  const m = syncMetrics(deps.metrics);
  const source = () => outbox.state();
  m.source = source;
  const builder = createBatchBuilder(deps.store, { random: opts.random, inline: opts.inline });
  let running: Promise<void> | undefined;

  async function enqueueDue(now: number): Promise<void> {
    let start = outbox.cursor() ?? firstStart(deps.store.repos.sync, now, interval);
    try {
      for (let n = 0; n < MAX_BUILDS_PER_TICK && start + interval + grace <= now; n++, start += interval) {
        const built = await builder.build(config, start, start + interval);
        for (const reason of built.drops) deps.metrics.badInput('sync', reason);
        if (outbox.enqueue(built, config.sync.url, now)) {
          m.queued.inc();
          m.suppressed.inc(built.batch.privacy.suppressedCells);
        }
      }
    } finally {
      await builder.release(); // a worker only while there is work: nothing idles between periods
    }
  }

  async function deliver(row: PendingRow, now: number): Promise<boolean> {
    let error: string;
    try {
      const res = await send(config.sync.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signBody(row.payload, config.sync.secret),
          [IDEMPOTENCY_HEADER]: row.batchId,
        },
        body: row.payload,
        signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 15_000),
        ...(dispatcher ? { dispatcher } : {}),
      } as RequestInit);
      await res.arrayBuffer().catch(() => undefined); // drain so the connection is reused
      if (res.ok) {
        outbox.delivered(row.id, now);
        m.deliveries.inc({ result: 'delivered' });
        return true;
      }
      error = `http-${res.status}`;
    } catch (err) {
      error = errorCode(err);
    }
    outbox.failed(row.id, row.attempts + 1, error, now, opts.random);
    m.deliveries.inc({ result: 'failed' });
    const hint = TLS_TRUST.test(error)
      ? `the collector's TLS certificate is not trusted${ca ? ' by sync.caFile' : ''}: set sync.caFile to the PEM of the CA that signed it`
      : undefined;
    log.warn({ attempts: row.attempts + 1, error, hint }, 'upstream sync delivery failed; will retry');
    return false;
  }

  async function deliverDue(now: number): Promise<void> {
    if (!config.sync.url) return;
    for (const row of outbox.due(now, MAX_SENDS_PER_TICK)) {
      // Stop at the first failure: the collector is down or refusing, the rest would fail alike.
      if (!(await deliver(row, now))) return;
    }
  }

  function tick(now = Date.now()): Promise<void> {
    running ??= (async () => {
      try {
        await enqueueDue(now);
        await deliverDue(now);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  const timers: NodeJS.Timeout[] = [];
  if (config.sync.enabled) {
    const run = () => tick().catch((err: unknown) => log.error({ err: errorCode(err) }, 'upstream sync tick failed'));
    // Retries need a tick more often than one per period; a tick with nothing due is two queries.
    timers.push(setTimeout(run, 5_000).unref(), setInterval(run, Math.min(60, config.sync.intervalSeconds) * 1000).unref());
  }

  return {
    tick,
    async close() {
      for (const t of timers) clearTimeout(t);
      await running?.catch(() => undefined);
      await dispatcher?.close().catch(() => undefined);
      if (m.source === source) m.source = undefined;
    },
  };
}

/** Where a site that never synced starts: its oldest finished call, at most a week back. */
function firstStart(repo: SyncRepo, now: number, interval: number): number {
  const align = (t: number) => Math.floor(t / interval) * interval;
  const earliest = align(now - BACKFILL_MS);
  const t = repo.firstEndedSince(earliest);
  return t === null ? align(now) : Math.max(earliest, align(t));
}

/** A short, bounded description of a transport error (no URL, no payload). */
function errorCode(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown; cause?: { code?: unknown } } | undefined;
  // Strings only: a DOMException (timeout, abort) has a numeric legacy `code`; its name says more.
  const code = [e?.cause?.code, e?.code, e?.name].find((c): c is string => typeof c === 'string') ?? 'error';
  return /^[A-Za-z0-9_-]{1,40}$/.test(code) ? code : 'error';
}
