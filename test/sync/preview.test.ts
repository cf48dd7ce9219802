import { pino } from 'pino';
import t from 'tap';
import { createMetrics } from '../../src/metrics/registry.js';
import { createSync } from '../../src/sync/index.js';
import { periodAt, syncPreview } from '../../src/sync/preview.js';
import { verifySignature } from '../../src/sync/sign.js';
import { HOUR, T0, addCall, openDb, syncConfig, storeOver } from './helpers.js';

t.test('preview shows the batch to be sent, then exactly the queued bytes', async (t) => {
  const db = openDb(t);
  for (let i = 0; i < 5; i++) addCall(db, { id: `c${i}`, endedAt: T0 + 5 * 60_000, rawSummary: i === 0 ? '{oops' : undefined });
  const config = syncConfig({ url: 'http://127.0.0.1:9/v1/batches', laplaceEpsilon: 1 });
  const period = periodAt('2026-01-05T00:30:00Z', config.sync.intervalSeconds);
  t.same(period, { from: T0, to: T0 + HOUR });

  const before = syncPreview(db, config, period);
  t.equal(before.source, 'built');
  t.equal(before.batch.cells.length, 1);
  t.ok(verifySignature(before.body, config.sync.secret, before.headers['x-earshot-signature']), 'signed like a real send');

  // Queue it (delivery to the discard port fails; the batch stays queued).
  const metrics = createMetrics({ defaults: false });
  const sync = createSync({ config, log: pino({ level: 'silent' }), store: storeOver(db), metrics }, { requestTimeoutMs: 2000 });
  await sync.tick(T0 + HOUR + 5 * 60_000);
  await sync.close();
  const bad = (await metrics.registry.getSingleMetric('earshot_bad_input_total')!.get()).values;
  t.same(
    bad.map((v) => [v.labels.parser, v.labels.reason, v.value]),
    [['sync', 'summary-not-json', 1]],
    'the malformed summary is counted as bad input',
  );
  const queued = (db.prepare(`SELECT payload FROM outbox WHERE topic = 'sync'`).get() as { payload: string }).payload;
  const after = syncPreview(db, config, period);
  t.equal(after.source, 'queued');
  t.equal(after.body, queued, 'byte for byte the queued batch, noise included');
  t.equal(syncPreview(db, config, period).body, queued, 'stable on repeat');
  t.equal(after.headers['idempotency-key'], before.batch.batchId, 'same idempotency key as the preview');
});

t.test('periodAt takes ISO or epoch ms and refuses anything else', async (t) => {
  t.same(periodAt(T0 + 1, 3600), { from: T0, to: T0 + HOUR });
  t.same(periodAt(String(T0 + HOUR), 86_400), { from: T0, to: T0 + 24 * HOUR });
  t.throws(() => periodAt('yesterday-ish', 3600), { code: 'EARSHOT_ERR_BAD_INPUT' });
});
