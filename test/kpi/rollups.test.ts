import t from 'tap';
import type { Utterance } from '../../src/call/types.js';
import { createKpi, queryRollups } from '../../src/kpi/index.js';
import { startCall, testEnv } from '../alarms/helpers/env.js';
import { dbOf } from '../helpers/db.js';

const H = Date.UTC(2026, 10, 23, 10, 0, 0); // 10:00 UTC

t.test('final KPIs roll up per agent, queue and site for minute, hour and day buckets', async (t) => {
  const env = testEnv(t.testdir(), { site: { id: 'lab' }, kpi: { minCallSeconds: 10, repeatWindowDays: 7 } });
  const qa: Record<string, unknown> = {};
  const kpi = createKpi({ ...env, summaryExtra: (id) => (qa[id] ? { qa: qa[id] } : undefined) });
  t.teardown(() => kpi.close());
  const say = (callId: string, legId: string, seq: number, sentiment: number) => {
    const u: Utterance = { callId, legId, role: 'customer', seq, text: 'x', lang: 'en', startMs: seq * 1000, endMs: seq * 1000 + 500, sentiment, emotion: 'neutral', emotionConfidence: 1, categories: [], redactions: 0 };
    env.bus.emit('utterance', u);
  };
  const run = (startedAt: number, durationS: number, sentiment: number, extra: { agentId?: string; queue?: string; customerHash?: string }) => {
    const c = startCall(env.bus, { startedAt, ...extra });
    say(c.callId, c.customer, 1, sentiment);
    return { ...c, end: () => env.bus.emit('call.ended', { callId: c.callId, state: 'ended', endedAt: startedAt + durationS * 1000 }) };
  };
  const first = run(H, 60, -0.5, { agentId: 'a1', queue: 'billing', customerHash: 'cust-1' });
  qa[first.callId] = [{ scorecard: 'greeting', score: 80 }, { scorecard: 'closing', score: 60 }]; // call mean 70
  env.store.insertAlarm({ callId: first.callId, rule: 'overtalk', severity: 'info', state: 'open', message: 'm', raisedAt: H + 1000 });
  first.end();
  run(H + 10 * 60_000, 120, 0.5, { agentId: 'a1', queue: 'billing', customerHash: 'cust-1' }).end(); // repeat caller
  run(H + 20 * 60_000, 5, -0.9, { agentId: 'a1', queue: 'billing', customerHash: 'cust-2' }).end(); // short: out of the means
  run(H + 30 * 60_000, 300, 0, { agentId: 'a2' }).end();

  const rows = queryRollups(dbOf(env.store), { bucket: 'hour', dim: 'agent', from: H, to: H + 3_600_000 });
  t.same(rows.map((r) => r.dimValue), ['a1', 'a2']);
  t.same(rows[0].metrics, { calls: 3, counted: 2, aht_ms: 90_000, sentiment_avg: 0, neg_end_share: 0.5, alarms: 1, qa_avg: 70, repeat_rate: 1 / 3 });
  const site = queryRollups(dbOf(env.store), { bucket: 'day', dim: 'site', from: H - 10 * 3_600_000, to: H + 86_400_000 });
  t.match(site, [{ dimValue: 'lab', bucketStart: Date.UTC(2026, 10, 23), metrics: { calls: 4, counted: 3, aht_ms: 160_000, alarms: 1 } }]);
  const queue = queryRollups(dbOf(env.store), { bucket: 'hour', dim: 'queue', from: H, to: H + 3_600_000 });
  t.same(queue.map((r) => [r.dimValue, r.metrics.calls]), [['billing', 3]], 'calls without a queue have no queue row');
  const minutes = queryRollups(dbOf(env.store), { bucket: 'minute', dim: 'agent', from: H, to: H + 3_600_000, dimValue: 'a1' });
  t.same(minutes.map((r) => [r.bucketStart, r.metrics.calls]), [[H, 1], [H + 600_000, 1], [H + 1_200_000, 1]]);
  t.same(rows[0].metrics.calls + rows[1].metrics.calls, site[0].metrics.calls, 'agents add up to the site');
});
