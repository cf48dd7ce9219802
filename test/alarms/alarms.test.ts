import t, { type Test } from 'tap';
import type { Alarm, Utterance } from '../../src/call/types.js';
import { createAlarms, loadAlarmRules, parseAlarmRules, type AlarmRule } from '../../src/alarms/index.js';
import { counterValue, startCall, testEnv, type TestEnv } from './helpers/env.js';
import { dbOf } from '../helpers/db.js';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const defaults = loadAlarmRules(new URL('../../config/alarms/default.yaml', import.meta.url).pathname);

async function setup(t: Test, rules: AlarmRule[] = defaults, overrides: Record<string, unknown> = {}) {
  const env = testEnv(t.testdir(), overrides);
  const clock = { now: T0 };
  const alarms = await createAlarms({ ...env, rules, clock: () => clock.now, tickMs: 0, deliveryMs: 0 });
  t.teardown(() => alarms.close());
  const raised: Alarm[] = [];
  const updated: Alarm[] = [];
  env.bus.on('alarm', (a) => raised.push(a));
  env.bus.on('alarm.updated', (a) => updated.push(a));
  return { env, clock, alarms, raised, updated };
}

let seq = 0;
function utt(env: TestEnv, callId: string, legId: string, role: 'agent' | 'customer', sentiment: number, id?: number): void {
  const u: Utterance = { id: id ?? ++seq, callId, legId, role, seq: ++seq, text: '[redacted]', lang: 'en', startMs: seq * 1000, endMs: seq * 1000 + 500, sentiment, emotion: 'neutral', emotionConfidence: 0.5, categories: [], redactions: 0 };
  env.bus.emit('utterance', u);
}
const speech = (env: TestEnv, callId: string, legId: string, startMs: number, endMs: number) =>
  env.bus.emit('call.event', { callId, legId, kind: 'speech', tMs: endMs, data: { startMs, endMs } });
const category = (env: TestEnv, callId: string, id: string) => env.bus.emit('call.event', { callId, kind: 'category', tMs: 1000, data: { category: id } });

t.test('customer negative 3 in a row fires once; 2 in a row (near miss) does not', async (t) => {
  const { env, raised } = await setup(t);
  const c = startCall(env.bus);
  env.bus.emit('call.updated', { ...c.info, agentId: 'agent-9' }); // the agent became known mid-call
  utt(env, c.callId, c.customer, 'customer', -0.5, 101);
  utt(env, c.callId, c.customer, 'customer', -0.6, 102);
  utt(env, c.callId, c.agent, 'agent', -0.9); // the agent's mood does not break the customer's run
  utt(env, c.callId, c.customer, 'customer', 0.1, 103); // breaks it: near miss
  t.equal(raised.length, 0, 'two in a row is not enough');
  utt(env, c.callId, c.customer, 'customer', -0.4, 104);
  utt(env, c.callId, c.customer, 'customer', -0.35, 105);
  utt(env, c.callId, c.customer, 'customer', -0.31, 106);
  t.equal(raised.length, 1);
  t.match(raised[0], { rule: 'customer-negative-streak', severity: 'warning', state: 'open', callId: c.callId, raisedAt: T0, agentId: 'agent-9' });
  t.same(raised[0].evidence, [104, 105, 106]);
  t.equal(await counterValue(env.metrics, 'earshot_alarms_fired_total', { rule: 'customer-negative-streak', severity: 'warning' }), 1);
  t.match(await env.metrics.registry.getSingleMetricAsString('earshot_alarm_latency_seconds'), /earshot_alarm_latency_seconds_count\{rule="customer-negative-streak"\} 1/);
  const row = dbOf(env.store).prepare('SELECT rule, state, evidence FROM alarms').all();
  t.same(row, [{ rule: 'customer-negative-streak', state: 'open', evidence: '[104,105,106]' }], 'persisted');
});

t.test('silence over 30 s fires once; 29 s and silence on hold do not', async (t) => {
  const { env, raised } = await setup(t);
  const c = startCall(env.bus);
  speech(env, c.callId, c.agent, 0, 5000);
  speech(env, c.callId, c.customer, 34000, 36000); // 29 s gap: near miss
  t.equal(raised.length, 0);
  env.bus.emit('call.event', { callId: c.callId, kind: 'hold', tMs: 36000 });
  env.bus.emit('call.event', { callId: c.callId, kind: 'resume', tMs: 90000 });
  speech(env, c.callId, c.agent, 90500, 95000); // 54 s quiet, but on hold
  t.equal(raised.length, 0, 'hold is not silence');
  speech(env, c.callId, c.customer, 126000, 128000); // 31 s gap
  t.equal(raised.length, 1);
  t.match(raised[0], { rule: 'long-silence', message: 'Silence of 31 s' });
  speech(env, c.callId, c.agent, 128000, 129000);
  t.equal(raised.length, 1, 'the same gap is not reported twice');
});

t.test('silence on a live call is reported while it lasts, once', async (t) => {
  const { env, raised, clock, alarms } = await setup(t);
  const c = startCall(env.bus, { ingest: 'siprec' });
  speech(env, c.callId, c.agent, 0, 2000);
  env.bus.emit('partial', { callId: c.callId, legId: c.agent, role: 'agent', seq: 1, text: '', startMs: 2000, endMs: 2100 });
  clock.now += 29_000;
  alarms.tick();
  t.equal(raised.length, 0, 'not yet');
  clock.now += 2_000;
  alarms.tick();
  alarms.tick();
  t.equal(raised.length, 1);
  t.match(raised[0], { rule: 'long-silence' });
  env.bus.emit('partial', { callId: c.callId, legId: c.customer, role: 'customer', seq: 1, text: '', startMs: 33000, endMs: 33500 });
  speech(env, c.callId, c.customer, 33000, 34000); // speech resumes: the gap check must not repeat it
  t.equal(raised.length, 1);
  clock.now += 31_000;
  alarms.tick();
  t.equal(raised.length, 1, 'a new quiet spell within the cooldown is suppressed');
  clock.now += 300_000;
  alarms.tick();
  t.equal(raised.length, 1, 'and not re-reported when the cooldown ends');
});

t.test('overtalk over 20% of the last minute fires; exactly 20% does not', async (t) => {
  const { env, raised } = await setup(t);
  const c = startCall(env.bus);
  speech(env, c.callId, c.agent, 0, 30000);
  speech(env, c.callId, c.customer, 18000, 30000); // 12 s of 60 = 20%: not above
  t.equal(raised.length, 0);
  speech(env, c.callId, c.agent, 40000, 42000);
  speech(env, c.callId, c.customer, 41000, 42000); // 13 s in the last minute
  t.equal(raised.length, 1);
  t.match(raised[0], { rule: 'overtalk', severity: 'info', message: /Overtalk 22% of the last 60 s/ });
});

t.test('category rules: competitor twice, abusive, escalation, compliance missed', async (t) => {
  const { env, raised } = await setup(t);
  const c = startCall(env.bus);
  category(env, c.callId, 'competitor-mention');
  category(env, c.callId, 'recording-disclosure');
  category(env, c.callId, 'compliance.recording-notice.met');
  category(env, c.callId, 'abusive');
  t.equal(raised.length, 0, 'one competitor mention, compliance items met, an unrelated category');
  category(env, c.callId, 'competitor-mention');
  category(env, c.callId, 'abusive-language');
  category(env, c.callId, 'escalation-request');
  category(env, c.callId, 'recording-disclosure-missing');
  category(env, c.callId, 'compliance.recording-notice.missed');
  t.same(raised.map((a) => [a.rule, a.severity]), [
    ['competitor-mentioned', 'warning'],
    ['abusive-language', 'critical'],
    ['escalation-request', 'warning'],
    ['compliance-missed', 'critical'],
    ['compliance-missed', 'critical'],
  ]);
  t.equal(raised[0].message, 'Category competitor-mention hit 2 times');
  t.equal(raised[3].message, 'Category recording-disclosure-missing hit');
  env.bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 1, data: { category: 42 } });
  env.bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 1, data: { rule: 'escalation-request' } });
  t.equal(raised.length, 5, 'a malformed category event is ignored; data.rule (as analysis sends it) counts, within the cooldown');
});

t.test('cooldown per call: a repeat within the cooldown is suppressed, after it fires again', async (t) => {
  const { env, raised, clock } = await setup(t);
  const c = startCall(env.bus);
  const other = startCall(env.bus);
  category(env, c.callId, 'escalation-request');
  clock.now += 100_000;
  category(env, c.callId, 'escalation-request');
  category(env, other.callId, 'escalation-request');
  t.equal(raised.length, 2, 'suppressed on the same call, not on another call');
  t.equal(await counterValue(env.metrics, 'earshot_alarms_suppressed_total', { rule: 'escalation-request' }), 1);
  clock.now += 201_000;
  category(env, c.callId, 'escalation-request');
  t.equal(raised.length, 3, 'fires again after 300 s');
});

t.test('agent daily thresholds: negative swings and sensitive-word share', async (t) => {
  const rules = parseAlarmRules(
    `version: 1
rules:
  - { id: swings, kind: agent-daily, metric: negative-swings, atLeast: 3 }
  - { id: sensitive, kind: agent-daily, metric: category-share, category: "sensitive*", above: 0.25, minCalls: 4 }
`,
    'test.yaml',
  );
  const { env, raised } = await setup(t, rules);
  const call = (swing: boolean, sensitive: boolean, agentId = 'agent-7') => {
    const c = startCall(env.bus, { agentId });
    for (const s of swing ? [0.5, 0.4, 0.3, -0.6, -0.7, -0.8] : [0.5, 0.5, 0.5]) utt(env, c.callId, c.customer, 'customer', s);
    if (sensitive) category(env, c.callId, 'sensitive.price');
    env.bus.emit('call.ended', { callId: c.callId, state: 'ended', endedAt: T0 + 60_000 });
    return c;
  };
  call(true, true);
  call(true, false);
  call(true, false, 'agent-8'); // another agent's swing does not count
  call(false, false);
  t.equal(raised.length, 0, 'two swings; 1 of 4 calls (25%) sensitive is not above 25%');
  const third = call(true, false);
  t.same(raised.map((a) => a.rule), ['swings']);
  t.match(raised[0], { callId: third.callId, agentId: 'agent-7' });
  call(true, true); // 2 of 6 = 33% sensitive; 4th swing is not re-raised today
  t.same(raised.map((a) => a.rule), ['swings', 'sensitive']);
  call(true, true);
  t.equal(raised.length, 2, 'once per agent per day');
});

t.test('per-call alarm state is released at call end; agent-day cooldowns of past days are dropped', async (t) => {
  const rules = parseAlarmRules('version: 1\nrules:\n  - { id: swings, kind: agent-daily, metric: negative-swings, atLeast: 1 }\n  - { id: neg, kind: negative-streak, role: customer, below: -0.3, count: 2 }\n', 'test.yaml');
  const { env, raised, clock, alarms } = await setup(t, rules);
  const swingCall = () => {
    const c = startCall(env.bus, { agentId: 'agent-7' });
    for (const s of [0.5, 0.4, 0.3, -0.6, -0.7, -0.8]) utt(env, c.callId, c.customer, 'customer', s);
    t.same(alarms.size().calls, 1, 'the live call has engine state');
    env.bus.emit('call.ended', { callId: c.callId, state: 'ended', endedAt: clock.now });
  };
  swingCall();
  t.same(raised.map((a) => a.rule), ['neg', 'swings']);
  // The ended call is kept (bounded, RECENT_KEEP) for its late category hits, with its cooldown.
  t.same(alarms.size(), { calls: 0, agents: 0, scopes: 2, recent: 1 }, "no live state; today's agent-day cooldown and the just-ended call's");
  clock.now += 86_400_000;
  swingCall();
  t.same(raised.map((a) => a.rule), ['neg', 'swings', 'neg', 'swings'], 'the next day fires again');
  t.same(alarms.size(), { calls: 0, agents: 0, scopes: 3, recent: 2 }, "yesterday's agent-day cooldown was dropped (today's and the two recent calls' remain)");
});

t.test('escalation when not acknowledged in time, once, audit-logged; acked alarms are not escalated', async (t) => {
  const { env, raised, updated, clock, alarms } = await setup(t);
  const c = startCall(env.bus);
  category(env, c.callId, 'abusive-language'); // escalateAfterMinutes: 5
  category(env, c.callId, 'escalation-request'); // never escalates
  const c2 = startCall(env.bus);
  category(env, c2.callId, 'abusive-language');
  alarms.ack(raised[2].id as number, 'sup1');
  clock.now += 4 * 60_000;
  t.same(alarms.tick(), [], 'not yet');
  clock.now += 60_000;
  const esc = alarms.tick();
  t.same(esc.map((a) => [a.id, a.rule, a.escalatedAt]), [[raised[0].id, 'abusive-language', T0 + 5 * 60_000]]);
  t.same(alarms.tick(), [], 'escalated once');
  t.match(updated.at(-1), { id: raised[0].id, escalatedAt: T0 + 5 * 60_000 });
  t.equal(alarms.get(raised[0].id as number).escalatedAt, T0 + 5 * 60_000);
  t.same(dbOf(env.store).prepare("SELECT actor, target FROM audit_log WHERE action = 'alarm.escalate'").all(), [{ actor: 'system', target: `alarm:${raised[0].id}` }]);
  t.equal(await counterValue(env.metrics, 'earshot_alarms_escalated_total', { rule: 'abusive-language' }), 1);
});

t.test('ack and resolve: who/when/comment, audit rows, alarm.updated; bad transitions refused', async (t) => {
  const { env, raised, updated, alarms } = await setup(t);
  const c = startCall(env.bus);
  category(env, c.callId, 'abusive-language');
  const id = raised[0].id as number;
  const acked = alarms.ack(id, 'sup1', 'calling the customer back');
  t.match(acked, { state: 'acked', ackedBy: 'sup1', ackComment: 'calling the customer back' });
  t.type(acked.ackedAt, 'number');
  const resolved = alarms.resolve(id, 'sup2', 'done');
  t.match(resolved, { state: 'resolved', resolvedBy: 'sup2', resolveComment: 'done', ackedBy: 'sup1' });
  t.same(updated.map((a) => a.state), ['acked', 'resolved']);
  t.same(dbOf(env.store).prepare('SELECT actor, action, target, detail FROM audit_log ORDER BY id').all(), [
    { actor: 'sup1', action: 'alarm.ack', target: `alarm:${id}`, detail: 'calling the customer back' },
    { actor: 'sup2', action: 'alarm.resolve', target: `alarm:${id}`, detail: 'done' },
  ]);
  t.throws(() => alarms.ack(id, 'sup1'), { code: 'EARSHOT_ERR_ALARM_TRANSITION', statusCode: 409, message: /is resolved; cannot move it to acked/ });
  t.throws(() => alarms.resolve(id, 'sup1'), { code: 'EARSHOT_ERR_ALARM_TRANSITION' });
  t.throws(() => alarms.ack(9999, 'sup1'), { code: 'EARSHOT_ERR_NOT_FOUND', statusCode: 404 });
  t.throws(() => alarms.ack(id, ''), { code: 'EARSHOT_ERR_BAD_INPUT' });
  t.throws(() => alarms.ack(-1, 'x'), { code: 'EARSHOT_ERR_BAD_INPUT' });
  t.throws(() => alarms.ack(id, 'x', 'y'.repeat(1001)), { code: 'EARSHOT_ERR_BAD_INPUT' });
  category(env, c.callId, 'escalation-request');
  t.match(alarms.resolve(raised[1].id as number, 'sup1'), { state: 'resolved' }, 'open → resolved directly');
  t.equal((dbOf(env.store).prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n, 3);
});

t.test('bad speech segments are counted and ignored; a bad rule set is refused and the old one kept', async (t) => {
  const { env, raised, alarms } = await setup(t);
  const c = startCall(env.bus);
  env.bus.emit('call.event', { callId: c.callId, legId: c.agent, kind: 'speech', tMs: 0, data: { startMs: 'a' } });
  env.bus.emit('call.event', { callId: c.callId, kind: 'speech', tMs: 0, data: { startMs: 0, endMs: 1 } });
  env.bus.emit('call.event', { callId: c.callId, legId: c.agent, kind: 'speech', tMs: 0, data: { startMs: 0, endMs: Infinity } });
  t.equal(await counterValue(env.metrics, 'earshot_bad_input_total', { parser: 'alarms', reason: 'speech-segment' }), 3);
  t.equal(raised.length, 0);
  const nan: Utterance = { callId: c.callId, legId: c.customer, role: 'customer', seq: 1, text: '', lang: 'en', startMs: NaN, endMs: NaN, sentiment: 0, emotion: 'neutral', emotionConfidence: 0, categories: [], redactions: 0 };
  env.bus.emit('utterance', nan);
  env.bus.emit('call.event', { callId: c.callId, kind: 'hold', tMs: NaN });
  speech(env, c.callId, c.agent, 0, 1000);
  speech(env, c.callId, c.customer, 40000, 41000);
  t.same(raised.map((a) => a.rule), ['long-silence'], 'bad times did not disable the silence rule');
  const dir = t.testdir({ 'bad.yaml': 'version: 1\nrules:\n  - { id: x, kind: nope }\n' });
  t.throws(() => alarms.reloadRules(loadAlarmRules(dir)), { code: 'EARSHOT_ERR_RULES' });
  t.equal(alarms.rules().length, defaults.length, 'running set unchanged');
  await t.rejects(createAlarms({ ...env, rulesPath: dir, tickMs: 0, deliveryMs: 0 }), { code: 'EARSHOT_ERR_RULES', message: /rules\[0\] \(x\)\.kind = "nope"/ });
  t.equal(await counterValue(env.metrics, 'earshot_bad_input_total', { parser: 'rules' }), 1);
});

t.test('a long call (speech pruned as it goes) raises no false silence and still finds a real one', async (t) => {
  const { env, raised } = await setup(t);
  const c = startCall(env.bus);
  let ms = 0;
  for (let i = 0; i < 1500; i++) {
    speech(env, c.callId, i % 2 ? c.agent : c.customer, ms, ms + 1500);
    ms += 2000; // 0.5 s pauses: never silence, never overtalk
  }
  t.equal(raised.length, 0, `${ms / 60_000} minutes of conversation`);
  speech(env, c.callId, c.agent, ms + 39_500, ms + 41_000); // the last turn ended at ms - 500
  t.same(raised.map((a) => a.message), ['Silence of 40 s']);
});

t.test('alarms raised while the store refuses writes are held, then stored and sent in order', async (t) => {
  const { env, clock, alarms, raised } = await setup(t);
  const c = startCall(env.bus);
  env.store.flush();
  // query_only makes every write fail the way a full disk does (SQLITE_FULL needs the file's
  // free pages used up, which a small alarm row may still fit in); the stage cannot tell them apart.
  dbOf(env.store).pragma('query_only = ON');
  category(env, c.callId, 'abusive-language');
  clock.now += 1000;
  category(env, c.callId, 'escalation-request');
  category(env, c.callId, 'abusive-language'); // within the cooldown: not a second alarm
  t.equal(raised.length, 0, 'nothing announced that has no id yet');
  t.match(await env.metrics.registry.getSingleMetricAsString('earshot_alarms_pending_store'), /earshot_alarms_pending_store 2/);
  alarms.tick();
  t.equal(raised.length, 0, 'still refused');
  dbOf(env.store).pragma('query_only = OFF');
  clock.now += 60_000;
  alarms.tick();
  t.same(raised.map((a) => [a.rule, a.raisedAt]), [['abusive-language', T0], ['escalation-request', T0 + 1000]], 'in order, with their raise times');
  t.same(dbOf(env.store).prepare('SELECT rule FROM alarms ORDER BY id').pluck().all(), ['abusive-language', 'escalation-request'], 'stored once each');
  t.match(await env.metrics.registry.getSingleMetricAsString('earshot_alarms_pending_store'), /earshot_alarms_pending_store 0/);
  category(env, c.callId, 'competitor-mention');
  category(env, c.callId, 'competitor-mention');
  t.equal(raised.length, 3, 'raising goes on directly');
});
