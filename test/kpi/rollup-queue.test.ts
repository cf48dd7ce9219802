// Rollups at call end through the store's read pool (the read in a worker, the write on the main
// connection) on a real SQLite file: the rows equal what the same rollups compute on the event
// loop, the read runs in the worker, a full queue and a failed read are counted and never throw,
// and close() finishes what was queued.
import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { PipelineBus } from '../../src/call/events.js';
import type { Utterance } from '../../src/call/types.js';
import { validateConfig } from '../../src/config/index.js';
import { createKpi, createRollupQueue, queryRollups, rollupCall, type Bucket, type Dim, type RollupRow } from '../../src/kpi/index.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import { connectStore, openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { startCall } from '../alarms/helpers/env.js';
import { metricValue } from '../store/helpers/fixtures.js';

const H = Date.UTC(2026, 10, 23, 10, 0, 0);
const log = pino({ level: 'silent' });

function env(dir: string) {
  const bus = new PipelineBus();
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(dir, 'k.db'), log, metrics, reads: { workers: 1 } });
  connectStore(store, bus);
  return { bus, metrics, store, log, config: validateConfig({ site: { id: 'lab' }, kpi: { minCallSeconds: 10, repeatWindowDays: 7 } }) };
}

function all(store: Store): RollupRow[] {
  const out: RollupRow[] = [];
  for (const bucket of ['minute', 'hour', 'day'] as Bucket[]) for (const dim of ['site', 'agent', 'queue'] as Dim[]) out.push(...queryRollups(store.repos.kpiRollups, { bucket, dim, from: 0, to: H + 30 * 86_400_000 }));
  return out;
}

async function readTasks(metrics: Metrics, task: string): Promise<number> {
  const { values } = await metrics.registry.getSingleMetric('earshot_store_read_seconds')!.get();
  return (values as { metricName?: string; labels: Record<string, unknown>; value: number }[])
    .filter((v) => v.metricName === 'earshot_store_read_seconds_count' && v.labels.task === task && v.labels.outcome === 'ok')
    .reduce((s, v) => s + v.value, 0);
}

t.test('call-end rollups through the read pool equal the rollups on the loop', async (t) => {
  const e = env(t.testdir());
  t.teardown(() => e.store.close());
  t.ok(e.store.reads, 'the store has a read pool');
  const qa: Record<string, unknown> = {};
  // A generous read timeout: the worker's first task may wait for its start on a loaded machine.
  const kpi = createKpi({ ...e, summaryExtra: (id) => (qa[id] ? { qa: qa[id] } : undefined), rollupQueue: { timeoutMs: 120_000 } });
  t.teardown(() => kpi.close());
  const run = (startedAt: number, durationS: number, sentiment: number, extra: { agentId?: string; queue?: string; customerHash?: string }) => {
    const c = startCall(e.bus, { startedAt, ...extra });
    const u: Utterance = { callId: c.callId, legId: c.customer, role: 'customer', seq: 1, text: 'x', lang: 'en', startMs: 1000, endMs: 1500, sentiment, emotion: 'neutral', emotionConfidence: 1, categories: [], redactions: 0 };
    e.bus.emit('utterance', u);
    return { ...c, end: () => e.bus.emit('call.ended', { callId: c.callId, state: 'ended', endedAt: startedAt + durationS * 1000 }) };
  };
  const first = run(H, 60, -0.5, { agentId: 'a1', queue: 'billing', customerHash: 'cust-1' });
  qa[first.callId] = [{ scorecard: 'greeting', score: 80 }, { scorecard: 'closing', score: 60 }];
  e.store.insertAlarm({ callId: first.callId, rule: 'overtalk', severity: 'info', state: 'open', message: 'm', raisedAt: H + 1000 });
  first.end();
  const ids = [first.callId];
  for (const c of [
    run(H + 10 * 60_000, 120, 0.5, { agentId: 'a1', queue: 'billing', customerHash: 'cust-1' }),
    run(H + 20 * 60_000, 5, -0.9, { agentId: 'a1', queue: 'billing', customerHash: 'cust-2' }),
    run(H + 30 * 60_000, 300, 0, { agentId: 'a2' }),
  ]) {
    c.end();
    ids.push(c.callId);
  }
  t.same(all(e.store).length, 0, 'nothing written on the loop at call end');
  await kpi.rollupsSettled();

  // The figures of test/kpi/rollups.test.ts (the same calls rolled up on the loop).
  const agents = queryRollups(e.store.repos.kpiRollups, { bucket: 'hour', dim: 'agent', from: H, to: H + 3_600_000 });
  t.same(agents.map((r) => r.dimValue), ['a1', 'a2']);
  t.same(agents[0]!.metrics, { calls: 3, counted: 2, aht_ms: 90_000, sentiment_avg: 0, neg_end_share: 0.5, alarms: 1, qa_avg: 70, repeat_rate: 1 / 3 });
  const offLoop = all(e.store);
  // minute: 4 site, 4 agent, 3 queue; hour and day: 1 site, 2 agent, 1 queue.
  t.equal(offLoop.length, 11 + 4 + 4, 'every row of every bucket size and dimension');
  for (const id of ids) rollupCall(e.store.repos.kpiRollups, id, { siteId: 'lab', repeatWindowDays: 7 });
  t.same(all(e.store), offLoop, 'recomputed on the loop: the same rows');
  t.ok((await readTasks(e.metrics, 'kpi.rollupAggregates')) >= 1, 'the reads ran in the read worker');
  // Calls ending while a batch is in flight queue their shared hour/day rows again: at least every row once.
  t.ok((await metricValue(e.metrics, 'earshot_kpi_rollup_rows_total', { outcome: 'ok' })) >= offLoop.length, 'counted');
  t.equal(await metricValue(e.metrics, 'earshot_kpi_rollup_rows_total', { outcome: 'error' }), 0);
});

t.test('a full queue and a failed read are counted, never thrown; close() finishes the queued rows', async (t) => {
  const e = env(t.testdir());
  t.teardown(() => e.store.close());
  const add = (id: string, at: number) => {
    e.store.upsertCall({ callId: id, ingest: 'import', externalId: id, startedAt: at, agentId: 'a1', queue: 'q1' });
    e.store.endCall(id, 'ended', at + 60_000, { kpi: { short: false, durationMs: 60_000, sentiment: { customerAvg: 0.2, negativeEnd: false } } });
    e.store.flush();
  };
  const rows = (outcome: string) => metricValue(e.metrics, 'earshot_kpi_rollup_rows_total', { outcome });
  const q = createRollupQueue({ store: e.store, metrics: e.metrics, log, rollup: { siteId: 'lab', repeatWindowDays: 7 } }, { maxPending: 4, timeoutMs: 120_000 });
  add('c1', H);
  q.add('c1'); // 9 rows (3 buckets × site, agent, queue): 4 fit
  await q.settled();
  t.equal(await rows('ok'), 4);
  t.equal(await rows('dropped'), 5, 'the rows that did not fit are counted');
  t.equal(all(e.store).length, 4);

  add('c2', H + 86_400_000); // other buckets
  q.add('c2');
  q.close(); // before the worker answers: the rows are computed here
  t.equal(all(e.store).length, 4 + 4, 'close() wrote the queued rows');
  t.equal(q.pending, 0);
  q.add('c2'); // after close: ignored
  t.equal(q.pending, 0);

  // A read that fails (the pool gone) is counted and logged; the call end goes on.
  const q2 = createRollupQueue({ store: e.store, metrics: e.metrics, log, rollup: { siteId: 'lab', repeatWindowDays: 7 } });
  await e.store.reads!.close();
  add('c3', H + 2 * 86_400_000);
  q2.add('c3');
  await q2.settled();
  t.equal(await rows('error'), 9, 'the failed read is counted per row');
  t.equal(q2.pending, 0);
  q2.add('unknown-call'); // not a stored call: nothing to do
  t.equal(q2.pending, 0);
  q2.close();
});
