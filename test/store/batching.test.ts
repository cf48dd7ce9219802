import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { createMetrics } from '../../src/metrics/registry.js';
import { openStore } from '../../src/store/index.js';
import { call, leg, metricValue, utterance } from './helpers/fixtures.js';
import { dbOf } from '../helpers/db.js';

const log = pino({ level: 'silent' });

t.test('10k utterances enqueued then flushed are all present, ids as returned', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(t.testdir(), 'b.db'), log, metrics });
  t.teardown(() => store.close());
  const ids: number[] = [];
  // 100 calls of 100 utterances; each call's row, legs and utterances are enqueued together, so
  // with the default batch size parents and children share transactions.
  for (let c = 0; c < 100; c++) {
    const info = call(c);
    const legs = [leg(info.callId, 'customer'), leg(info.callId, 'agent')];
    store.upsertCall(info);
    legs.forEach((l) => store.addLeg(l));
    for (let s = 0; s < 100; s++) ids.push(store.addUtterance(utterance(legs[s % 2], s)));
  }
  store.flush();
  t.equal(store.pendingRows, 0);
  t.equal(dbOf(store).prepare('SELECT count(*) FROM utterances').pluck().get(), 10_000);
  t.same(ids, Array.from({ length: 10_000 }, (_, i) => i + 1));
  const rows = dbOf(store).prepare('SELECT id, call_id, seq FROM utterances ORDER BY id').all() as { id: number; call_id: string; seq: number }[];
  t.same(rows.map((r) => r.id), ids, 'each row has the id addUtterance returned');
  t.same(rows[4321], { id: 4322, call_id: 'call-43', seq: 21 });
  t.equal(await metricValue(metrics, 'earshot_store_dropped_rows_total'), 0, 'no row refused: FK order held');
  t.equal(await metricValue(metrics, 'earshot_store_queue_rows'), 0);
  t.same(dbOf(store).pragma('foreign_key_check'), []);
  t.ok((await metricValue(metrics, 'earshot_db_size_bytes')) > 10_000 * 100, 'database size reported');
});

t.test('FK order holds when a call and its children fall in different batches', async (t) => {
  const metrics = createMetrics({ defaults: false });
  // 7 rows per transaction: every call row lands in a different batch from most of its utterances.
  const store = openStore({ path: join(t.testdir(), 'small.db'), log, metrics, writer: { maxBatchRows: 7 } });
  t.teardown(() => store.close());
  for (let c = 0; c < 30; c++) {
    const info = call(c);
    const l = leg(info.callId, 'mixed');
    store.upsertCall(info);
    store.addLeg(l);
    for (let s = 0; s < 11; s++) store.addUtterance(utterance(l, s));
    store.addCallEvent({ callId: info.callId, kind: 'hold', tMs: 5 });
    store.endCall(info.callId, 'ended', info.startedAt + 20_000);
  }
  store.flush();
  t.equal(dbOf(store).prepare('SELECT count(*) FROM utterances').pluck().get(), 330);
  t.equal(dbOf(store).prepare("SELECT count(*) FROM calls WHERE state = 'ended'").pluck().get(), 30);
  t.equal(await metricValue(metrics, 'earshot_store_dropped_rows_total'), 0);
  const hist = await metrics.registry.getSingleMetric('earshot_store_write_seconds')!.get();
  const count = hist.values.find((v) => (v as { metricName?: string }).metricName === 'earshot_store_write_seconds_count');
  t.ok(count && count.value >= Math.ceil((30 * 15) / 7), 'one commit per batch of 7 rows');
  const sum = hist.values.find((v) => (v as { metricName?: string }).metricName === 'earshot_store_write_seconds_sum');
  t.ok(sum && sum.value > 0, 'commit time is measured (a histogram that never observes stays at 0)');
});

t.test('writes commit by themselves on the next tick', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'tick.db'), log });
  t.teardown(() => store.close());
  const c = call(1);
  store.upsertCall(c);
  t.equal(store.getCall(c.callId), undefined, 'queued, not yet committed');
  await new Promise((r) => setImmediate(r));
  t.equal(store.getCall(c.callId)?.callId, c.callId);
});

t.test('a row that can never be written is dropped and counted; its batch-mates are kept', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(t.testdir(), 'bad.db'), log, metrics });
  t.teardown(() => store.close());
  const c = call(1);
  const l = leg(c.callId, 'agent');
  store.upsertCall(c);
  store.addLeg(l);
  store.addUtterance(utterance(l, 1));
  store.addUtterance(utterance(leg('no-such-call', 'agent'), 1)); // unknown call and leg
  store.addUtterance(utterance(l, 1)); // duplicate (leg, seq)
  store.addUtterance(utterance(l, 2, { role: 'boss' as never })); // fails nothing: role is free text in utterances
  store.addCallEvent({ callId: c.callId, kind: 'x', tMs: 1, data: { big: 10n } as never }); // not JSON
  store.addLeg({ ...l, legId: 'l2', role: 'robot' as never }); // CHECK constraint
  store.addUtterance(utterance(l, 3));
  store.flush();
  t.same(store.listUtterances(c.callId).map((u) => u.seq), [1, 2, 3]);
  t.equal(store.pendingRows, 0, 'the bad rows do not block the queue');
  t.equal(await metricValue(metrics, 'earshot_bad_input_total', { parser: 'store', reason: 'foreign-key' }), 1);
  t.equal(await metricValue(metrics, 'earshot_bad_input_total', { parser: 'store', reason: 'duplicate' }), 1);
  t.equal(await metricValue(metrics, 'earshot_bad_input_total', { parser: 'store', reason: 'json' }), 1);
  t.equal(await metricValue(metrics, 'earshot_bad_input_total', { parser: 'store', reason: 'check' }), 1);
  t.equal(await metricValue(metrics, 'earshot_store_write_errors_total'), 0, 'bad rows are not write errors');
});

t.test('a reused external id (SIP Call-ID seen again, import retried) keeps the new call and its rows', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(t.testdir(), 'reuse.db'), log, metrics });
  t.teardown(() => store.close());
  const first = call(1, { externalId: 'same' });
  const second = call(2, { externalId: 'same' });
  const l = leg(second.callId, 'agent');
  store.upsertCall(first);
  store.upsertCall(second);
  store.addLeg(l);
  store.addUtterance(utterance(l, 1));
  store.upsertCall({ ...second, agentId: 'a-9' }); // later update of the second call
  store.flush();
  t.equal(store.getCall(first.callId)?.externalId, 'same');
  t.match(store.getCall(second.callId), { externalId: `same~${second.callId}`, agentId: 'a-9', legs: [{ legId: l.legId }] });
  t.equal(store.listUtterances(second.callId).length, 1);
  t.equal(await metricValue(metrics, 'earshot_store_dropped_rows_total'), 0);
});

t.test('two writers on one database (serve + a CLI import) never hand out the same id', async (t) => {
  const path = join(t.testdir(), 'two.db');
  const metrics = createMetrics({ defaults: false });
  const a = openStore({ path, log, metrics, idBlockSize: 100 });
  const b = openStore({ path, log, metrics, idBlockSize: 100 });
  t.teardown(() => (a.close(), b.close()));
  const ca = call(1);
  const cb = call(2);
  const la = leg(ca.callId, 'agent');
  const lb = leg(cb.callId, 'agent');
  a.upsertCall(ca);
  a.addLeg(la);
  b.upsertCall(cb);
  b.addLeg(lb);
  a.flush();
  b.flush();
  const idsA: number[] = [];
  const idsB: number[] = [];
  for (let s = 0; s < 1000; s++) {
    idsA.push(a.addUtterance(utterance(la, s)));
    idsB.push(b.addUtterance(utterance(lb, s)));
    if (s % 70 === 0) {
      a.flush();
      b.flush();
    }
  }
  a.flush();
  b.flush();
  t.equal(new Set([...idsA, ...idsB]).size, 2000, 'all ids distinct');
  t.same(a.listUtterances(ca.callId).map((u) => u.id), idsA);
  t.same(a.listUtterances(cb.callId).map((u) => u.id), idsB);
  t.equal(await metricValue(metrics, 'earshot_store_dropped_rows_total'), 0);
});

t.test('ids of deleted rows (retention) are not handed out again', async (t) => {
  const path = join(t.testdir(), 'reuse-ids.db');
  const first = openStore({ path, log });
  const c = call(1);
  const l = leg(c.callId, 'agent');
  first.upsertCall(c);
  first.addLeg(l);
  const last = [0, 1, 2].map((s) => first.addUtterance(utterance(l, s))).at(-1)!;
  first.flush();
  dbOf(first).exec('DELETE FROM utterances');
  first.close();
  const second = openStore({ path, log });
  t.teardown(() => second.close());
  t.ok(second.addUtterance(utterance(l, 9)) > last);
});
