import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { validateConfig } from '../../src/config/load.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { openStore } from '../../src/store/index.js';
import { createRetentionJob, purge } from '../../src/store/retention.js';
import { addCall, dirOf, openDb } from '../sync/helpers.js';
import { dbOf } from '../helpers/db.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12);
const retention = validateConfig({ retention: { transcriptsDays: 10, callsDays: 30, auditDays: 30, aggregatesDays: 60 } }).retention;

/** Rows exactly at each cutoff (kept) and one millisecond older (purged). */
function fill(db: ReturnType<typeof openDb>): void {
  const call = (id: string, startedAt: number) =>
    addCall(db, {
      id,
      endedAt: startedAt + 60_000,
      durationMs: 60_000,
      utterances: [{ text: 'a' }, { text: 'b' }],
      events: [{ kind: 'hold' }],
      alarms: [{ rule: 'r1' }],
      surveys: [{ score: 9 }],
    });
  call('old', NOW - 30 * DAY - 1); // past callsDays: call, legs, utterances, events go
  call('edge', NOW - 30 * DAY); // kept; past transcriptsDays: utterances go
  call('tx-old', NOW - 10 * DAY - 1); // kept; utterances go
  call('tx-edge', NOW - 10 * DAY); // all kept
  call('new', NOW);
  for (let i = 0; i < 7; i++) call(`older${i}`, NOW - 40 * DAY - i * DAY); // more than a batch
  const rollup = db.prepare(`INSERT INTO kpi_rollups (bucket, bucket_start, dim, dim_value, metrics) VALUES ('hour', ?, 'site', 's', '{}')`);
  rollup.run(NOW - 60 * DAY - 1);
  rollup.run(NOW - 60 * DAY);
  const audit = db.prepare(`INSERT INTO audit_log (at, actor, action) VALUES (?, 'system', 'x')`);
  audit.run(NOW - 30 * DAY - 1);
  audit.run(NOW - 30 * DAY);
  const outbox = db.prepare(`INSERT INTO outbox (topic, destination, idem_key, payload, created_at, next_at, delivered_at) VALUES ('webhook', 'd', ?, '{}', 0, 0, ?)`);
  outbox.run('delivered-old', NOW - 7 * DAY - 1);
  outbox.run('delivered-edge', NOW - 7 * DAY);
  outbox.run('never-delivered', null);
}

const ids = (db: ReturnType<typeof openDb>, sql: string) => (db.prepare(sql).all() as { v: string | number }[]).map((r) => r.v);

t.test('purge removes exactly what is past each window, in small batches', async (t) => {
  for (const foreignKeys of [true, false]) {
    t.test(`foreign keys ${foreignKeys ? 'on' : 'off'}`, async (t) => {
      const db = openDb(t);
      db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
      fill(db);
      const counts = purge(db, retention, NOW, { batchSize: 3 });
      t.same(counts, { calls: 8, legs: 8, call_events: 8, utterances: 8 * 2 + 2 * 2, kpi_rollups: 1, audit_log: 1, outbox: 1, recordings: 0, sip_log: 0, alarms: 0 });
      t.same(ids(db, 'SELECT id AS v FROM calls ORDER BY started_at'), ['edge', 'tx-old', 'tx-edge', 'new']);
      t.same(ids(db, 'SELECT DISTINCT call_id AS v FROM utterances ORDER BY call_id'), ['new', 'tx-edge']);
      t.same(ids(db, 'SELECT call_id AS v FROM legs ORDER BY call_id'), ['edge', 'new', 'tx-edge', 'tx-old'], 'legs stay with kept calls');
      t.same(ids(db, 'SELECT call_id AS v FROM call_events ORDER BY call_id'), ['edge', 'new', 'tx-edge', 'tx-old']);
      t.equal(ids(db, 'SELECT count(*) AS v FROM alarms WHERE call_id IS NULL')[0], 8, 'alarms of purged calls stay, unlinked');
      t.equal(ids(db, 'SELECT count(*) AS v FROM surveys WHERE call_id IS NULL')[0], 8, 'surveys too');
      t.same(ids(db, 'SELECT bucket_start AS v FROM kpi_rollups'), [NOW - 60 * DAY]);
      t.same(ids(db, 'SELECT at AS v FROM audit_log'), [NOW - 30 * DAY]);
      t.same(ids(db, 'SELECT idem_key AS v FROM outbox ORDER BY id'), ['delivered-edge', 'never-delivered']);
      t.same(db.pragma('foreign_key_check'), [], 'no dangling references');
      t.same(purge(db, retention, NOW), { calls: 0, legs: 0, call_events: 0, utterances: 0, kpi_rollups: 0, audit_log: 0, outbox: 0, recordings: 0, sip_log: 0, alarms: 0 }, 'a second run has nothing to do');
    });
  }
});

t.test('the job purges through the real store, counts by kind and audits', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(dirOf(t), 'earshot.db'), metrics, recover: false });
  t.teardown(() => store.close());
  const db = dbOf(store);
  fill(db);
  const job = createRetentionJob({ config: { retention }, log: pino({ level: 'silent' }), store, metrics }, { firstRunMs: 3_600_000, batchSize: 2 });
  t.teardown(() => job.close());
  const counts = await job.run(NOW);
  t.equal(counts.calls, 8);
  const purged = (await metrics.registry.getSingleMetric('earshot_retention_purged_rows_total')!.get()).values;
  t.same(Object.fromEntries(purged.map((v) => [v.labels.kind, v.value])), Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)), 'kinds with deletions are counted');
  const row = db.prepare(`SELECT detail FROM audit_log WHERE action = 'retention.purge'`).get() as { detail: string };
  t.same(JSON.parse(row.detail), counts);
  const free = (await metrics.registry.getSingleMetric('earshot_data_free_bytes')!.get()).values[0].value;
  t.ok(free > 0, 'free space of the data filesystem is reported');
  const last = (await metrics.registry.getSingleMetric('earshot_retention_last_run_timestamp_seconds')!.get()).values[0].value;
  t.ok(last > 0, 'a finished run is timestamped');
  t.same((await job.run(NOW)).calls, 0);
});
