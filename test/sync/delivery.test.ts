import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import t from 'tap';
import { createMetrics } from '../../src/metrics/registry.js';
import { createCollector } from '../../src/sync/collector.js';
import { createSync } from '../../src/sync/index.js';
import { HOUR, T0, addCall, dirOf, openDb, syncConfig, storeOver } from './helpers.js';

const SECRET = 'a-very-secret-shared-key';
const log = pino({ level: 'silent' });
const GRACE = 120_000;
// Batches are built inline here: the worker thread path is covered by leak.test.ts and preview.test.ts.

t.test('every batch reaches the collector exactly once across an outage and restarts', async (t) => {
  const dir = dirOf(t);
  const db = openDb(t);
  for (let h = 0; h < 6; h++) for (let i = 0; i < 5; i++) addCall(db, { id: `h${h}c${i}`, endedAt: T0 + h * HOUR + i * 60_000 });

  const collectorMetrics = createMetrics({ defaults: false });
  const startCollector = async (port: number) => {
    const app = createCollector({ secrets: { 'site-a': SECRET }, dbPath: join(dir, 'collector.db'), log, metrics: collectorMetrics });
    await app.listen({ host: '127.0.0.1', port });
    const addr = app.server.address();
    return { app, port: typeof addr === 'object' && addr ? addr.port : 0 };
  };
  let collector = await startCollector(0);
  t.teardown(() => collector.app.close());
  const port = collector.port;

  const config = syncConfig({ url: `http://127.0.0.1:${port}/v1/batches`, intervalSeconds: 3600 });
  const metrics = createMetrics({ defaults: false });
  let sync = createSync({ config, log, store: storeOver(db), metrics }, { graceMs: GRACE, inline: true });
  t.teardown(() => sync.close());

  const outbox = () =>
    db.prepare(`SELECT idem_key AS key, attempts, delivered_at AS deliveredAt, last_error AS err FROM outbox WHERE topic = 'sync' ORDER BY id`).all() as {
      key: string;
      attempts: number;
      deliveredAt: number | null;
      err: string | null;
    }[];
  const received = () => {
    const c = new Database(join(dir, 'collector.db'), { readonly: true });
    try {
      return c.prepare('SELECT batch_id AS id, period_from AS fromMs, payload FROM batches ORDER BY period_from').all() as {
        id: string;
        fromMs: number;
        payload: string;
      }[];
    } finally {
      c.close();
    }
  };
  const counter = async (name: string, labels: Record<string, string>, reg = metrics.registry) =>
    (await reg.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;

  // 1. Two hours finished: both delivered.
  await sync.tick(T0 + 2 * HOUR + GRACE);
  t.equal(received().length, 2);
  t.ok(outbox().every((r) => r.deliveredAt !== null));
  await sync.tick(T0 + 2 * HOUR + GRACE + 1000);
  t.equal(outbox().length, 2, 'a second tick in the same period queues nothing');

  // 2. Collector down: new batches stay queued with backoff and an error code.
  await collector.app.close();
  await sync.tick(T0 + 4 * HOUR + GRACE);
  let rows = outbox();
  t.equal(rows.length, 4);
  t.same(
    rows.slice(2).map((r) => r.deliveredAt),
    [null, null],
  );
  t.equal(rows[2].attempts, 1);
  t.match(rows[2].err, /^[A-Za-z0-9_-]+$/, 'a bounded error code is kept');
  await sync.tick(T0 + 4 * HOUR + GRACE + 1000);
  t.equal(outbox()[2].attempts, 1, 'not retried before its backoff');
  await sync.tick(T0 + 5 * HOUR + GRACE);
  t.equal(outbox()[2].attempts, 2, 'retried after the backoff');
  t.ok((await counter('earshot_sync_deliveries_total', { result: 'failed' })) >= 2);
  t.equal(await counter('earshot_sync_outbox_pending', {}), 3);

  // 3. Earshot restarts while the collector is still down: nothing queued is lost or queued twice.
  await sync.close();
  sync = createSync({ config, log, store: storeOver(db), metrics }, { graceMs: GRACE, inline: true });

  // 4. Collector back on the same port, days later: everything is delivered, in order, once.
  collector = await startCollector(port);
  t.equal(collector.port, port);
  const later = T0 + 8 * HOUR + GRACE;
  for (let i = 0; i < 5 && outbox().some((r) => r.deliveredAt === null); i++) await sync.tick(later + i * 60_000);
  rows = outbox();
  t.equal(rows.length, 8, 'hours 0..7, including two empty ones');
  t.ok(rows.every((r) => r.deliveredAt !== null), 'all delivered');
  let got = received();
  t.equal(got.length, 8);
  t.same(
    got.map((b) => b.fromMs),
    Array.from({ length: 8 }, (_, h) => T0 + h * HOUR),
  );
  t.equal(new Set(got.map((b) => b.id)).size, 8);
  t.same(got.map((b) => JSON.parse(b.payload).cells.length), [1, 1, 1, 1, 1, 1, 0, 0]);

  // 5. A delivery whose answer was lost (crash before marking it) is sent again: stored once.
  db.prepare(`UPDATE outbox SET delivered_at = NULL WHERE id = (SELECT min(id) FROM outbox WHERE topic = 'sync')`).run();
  await sync.tick(later + 10 * 60_000);
  t.ok(outbox().every((r) => r.deliveredAt !== null));
  got = received();
  t.equal(got.length, 8, 'still one row per batch');
  t.equal(await counter('earshot_collector_batches_total', { result: 'duplicate' }, collectorMetrics.registry), 1);
  t.equal(await counter('earshot_collector_batches_total', { result: 'stored' }, collectorMetrics.registry), 8);
  t.equal(await counter('earshot_sync_outbox_pending', {}), 0);
  // Lag is measured from the end of the newest delivered period (hour 7 ended at T0 + 8 h).
  const lag = await counter('earshot_sync_lag_seconds', {});
  t.ok(Math.abs(lag - (Date.now() - (T0 + 8 * HOUR)) / 1000) < 600, 'lag counts from the newest delivered period');
});

t.test('a collector that refuses the signature gets retries, not a lost batch', async (t) => {
  const db = openDb(t);
  for (let i = 0; i < 5; i++) addCall(db, { id: `c${i}`, endedAt: T0 + i * 60_000 });
  const collectorMetrics = createMetrics({ defaults: false });
  const app = createCollector({ secrets: { 'site-a': SECRET }, dbPath: join(dirOf(t), 'collector.db'), log, metrics: collectorMetrics });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/v1/batches`;
  const wrong = createSync({ config: syncConfig({ url, secret: 'not-the-shared-secret' }), log, store: storeOver(db), metrics: createMetrics({ defaults: false }) }, { inline: true });
  await wrong.tick(T0 + HOUR + GRACE);
  await wrong.close();
  const row = () => db.prepare(`SELECT attempts, delivered_at AS deliveredAt, last_error AS err FROM outbox WHERE topic = 'sync'`).get();
  t.same(row(), { attempts: 1, deliveredAt: null, err: 'http-401' });
  // The operator fixes sync.secret; the same queued batch goes through.
  const right = createSync({ config: syncConfig({ url }), log, store: storeOver(db), metrics: createMetrics({ defaults: false }) }, { inline: true });
  await right.tick(T0 + 2 * HOUR);
  await right.close();
  t.match(row(), { attempts: 2, err: null });
  t.not((row() as { deliveredAt: number | null }).deliveredAt, null);
  const stored = (await collectorMetrics.registry.getSingleMetric('earshot_collector_batches_total')!.get()).values;
  t.same(Object.fromEntries(stored.map((v) => [v.labels.result, v.value])), { rejected: 1, stored: 1 });
});

t.test('a collector that accepts but never answers times out and is retried later', async (t) => {
  const db = openDb(t);
  for (let i = 0; i < 5; i++) addCall(db, { id: `c${i}`, endedAt: T0 + i * 60_000 });
  // A real TCP peer that reads the request and never responds.
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.resume();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/v1/batches`;
  const sync = createSync({ config: syncConfig({ url }), log, store: storeOver(db), metrics: createMetrics({ defaults: false }) }, { inline: true, requestTimeoutMs: 300 });
  await sync.tick(T0 + HOUR + GRACE);
  await sync.close();
  t.same(db.prepare(`SELECT attempts, delivered_at AS deliveredAt, last_error AS err FROM outbox WHERE topic = 'sync'`).get(), {
    attempts: 1,
    deliveredAt: null,
    err: 'TimeoutError',
  });
});
