import t from 'tap';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { pino } from 'pino';
import { createMetrics } from '../../src/metrics/registry.js';
import { openStore } from '../../src/store/index.js';
import { call, leg, metricValue, utterance } from './helpers/fixtures.js';
import { until } from './helpers/wait.js';
import { dbOf } from '../helpers/db.js';

const log = pino({ level: 'silent' });
const retry = { retryMinMs: 5, retryMaxMs: 20 };
const count = (db: { prepare(s: string): { pluck(): { get(): unknown } } }) =>
  db.prepare('SELECT count(*) FROM utterances').pluck().get() as number;

t.test('disk full: the batch rolls back whole, is kept and retried, and drains when space returns', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(t.testdir(), 'full.db'), log, metrics, writer: { ...retry, maxBatchRows: 3000 } });
  t.teardown(() => store.close());
  const c = call(1);
  const l = leg(c.callId, 'customer');
  store.upsertCall(c);
  store.addLeg(l);
  store.flush();
  const pages = dbOf(store).pragma('page_count', { simple: true }) as number;
  // A few pages of headroom: the batch starts writing, then hits the limit part-way.
  dbOf(store).pragma(`max_page_count = ${pages + 4}`);
  const long = 'x'.repeat(200);
  const ids: number[] = [];
  for (let s = 0; s < 2000; s++) ids.push(store.addUtterance(utterance(l, s, { text: long })));
  t.ok(ids.every((id) => id > 0), 'every write accepted');
  t.doesNotThrow(() => store.flush());
  t.equal(count(dbOf(store)), 0, 'nothing half-written');
  t.equal(store.pendingRows, 2000, 'the failed batch is kept');
  t.ok((await metricValue(metrics, 'earshot_store_write_errors_total', { reason: 'full' })) >= 1);
  t.equal(await metricValue(metrics, 'earshot_store_queue_rows'), 2000);
  const errorsBefore = await metricValue(metrics, 'earshot_store_write_errors_total');
  // Writes keep coming while the disk is full: appended behind the failed batch, order kept.
  store.addCallEvent({ callId: c.callId, kind: 'hold', tMs: 1 });
  // No flush() from here on: the retry timer must try again by itself.
  await until(async () => (await metricValue(metrics, 'earshot_store_write_errors_total')) >= errorsBefore + 2);
  t.pass('retried by itself');
  t.equal(count(dbOf(store)), 0);

  dbOf(store).pragma('max_page_count = 1073741823');
  await until(() => store.pendingRows === 0);
  t.equal(count(dbOf(store)), 2000, 'all rows present after space returns');
  t.equal(store.listCallEvents(c.callId).length, 1);
  t.equal(await metricValue(metrics, 'earshot_store_queue_rows'), 0);
  t.equal(dbOf(store).pragma('integrity_check', { simple: true }), 'ok');
});

t.test('read-only database: writes are retried, never thrown, and the bounded queue refuses the excess', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(t.testdir(), 'ro.db'), log, metrics, writer: { ...retry, maxQueueRows: 50, maxBatchRows: 20 } });
  t.teardown(() => store.close());
  dbOf(store).pragma('query_only = 1');
  const c = call(1);
  const l = leg(c.callId, 'agent');
  store.upsertCall(c);
  store.addLeg(l);
  const ids: number[] = [];
  for (let s = 0; s < 100; s++) ids.push(store.addUtterance(utterance(l, s)));
  t.equal(ids.filter((id) => id > 0).length, 48, '50 rows queued (call + leg + 48), the rest refused');
  t.same(ids.slice(0, 48), Array.from({ length: 48 }, (_, i) => i + 1), 'refused rows take no id');
  store.upsertCall(call(2)); // call rows are never refused: their children depend on them
  t.equal(store.pendingRows, 51);
  t.equal(await metricValue(metrics, 'earshot_store_dropped_rows_total', { reason: 'queue-full' }), 52);
  t.doesNotThrow(() => store.flush());
  t.ok((await metricValue(metrics, 'earshot_store_write_errors_total', { reason: 'readonly' })) >= 1);
  t.equal(store.getCall(c.callId), undefined);

  dbOf(store).pragma('query_only = 0');
  await until(() => store.pendingRows === 0);
  t.equal(count(dbOf(store)), 48);
  t.ok(store.getCall('call-2'));
  t.equal(store.addUtterance(utterance(l, 500)), 49, 'accepting again once drained');
});

t.test('busy: another connection holds the write lock; the batch waits its turn and lands whole', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const path = join(t.testdir(), 'busy.db');
  const store = openStore({ path, log, metrics, busyTimeoutMs: 10, writer: retry });
  t.teardown(() => store.close());
  const other = new Database(path); // e.g. a CLI command writing at the same moment
  t.teardown(() => other.open && other.close());
  other.exec('BEGIN IMMEDIATE');
  const c = call(1);
  const l = leg(c.callId, 'agent');
  store.upsertCall(c);
  store.addLeg(l);
  const ids = [0, 1, 2].map((s) => store.addUtterance(utterance(l, s)));
  t.same(ids, [1, 2, 3], 'ids still handed out while the id table is locked');
  t.doesNotThrow(() => store.flush());
  t.equal(store.pendingRows, 5);
  t.ok((await metricValue(metrics, 'earshot_store_write_errors_total', { reason: 'busy' })) >= 1);
  other.exec('COMMIT');
  other.close();
  await until(() => store.pendingRows === 0);
  t.same(store.listUtterances(c.callId).map((u) => u.id), ids);
  t.ok(store.addUtterance(utterance(l, 3)) > 3, 'later ids continue past those used during the outage');
});
