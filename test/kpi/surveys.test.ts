import Fastify from 'fastify';
import t, { type Test } from 'tap';
import type { CallInfo } from '../../src/call/types.js';
import { installErrorHandling } from '../../src/error-handler.js';
import { detractorRootCause, fitNpsModel, highRiskCsv, highRiskCustomers, npsReport, surveyRoutes } from '../../src/kpi/index.js';
import { isHeldOut, type Sample } from '../../src/kpi/nps-model.js';
import { counterValue, testEnv, type TestEnv } from '../alarms/helpers/env.js';
import { mulberry32 } from '../../src/random.js';
import { dbOf } from '../helpers/db.js';

const DAY = 86_400_000;
const MON = Date.UTC(2026, 10, 16); // a Monday
let n = 0;

/** A finished call with a KPI summary, stored the way the store and kpi stage leave it. */
function call(env: TestEnv, c: Partial<CallInfo> & { startedAt: number }, kpi: Record<string, unknown> = {}): string {
  const callId = `c${++n}`;
  env.store.upsertCall({ callId, ingest: 'import', externalId: callId, ...c });
  env.store.endCall(callId, 'ended', c.startedAt + 120_000, { kpi: { durationMs: 120_000, ...kpi } });
  env.store.flush();
  return callId;
}

async function serve(t: Test, env: TestEnv, now = MON + 20 * DAY) {
  const app = Fastify();
  installErrorHandling(app, env.metrics); // as src/web/index.ts does on the root
  await app.register(surveyRoutes({ store: env.store, metrics: env.metrics, config: env.config, clock: () => now }), { prefix: '/api/v1' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1`;
  const post = async (path: string, body: unknown, type = 'application/json') => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const get = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  return { post, get };
}

t.test('POST /surveys validates, ties answers to calls, counts bad input', async (t) => {
  const env = testEnv(t.testdir());
  const c1 = call(env, { startedAt: MON, agentId: 'a1', customerHash: 'cust-aaaa' });
  const c2 = call(env, { startedAt: MON + DAY, agentId: 'a2', customerHash: 'cust-aaaa' });
  const api = await serve(t, env, MON + 2 * DAY);
  let r = await api.post('/surveys', { callId: c1, kind: 'nps', score: 9 });
  t.equal(r.status, 201);
  t.match(r.body.survey, { callId: c1, customerHash: 'cust-aaaa', kind: 'nps', score: 9, receivedAt: MON + 2 * DAY, source: 'api' });
  r = await api.post('/surveys', { customerHash: 'cust-aaaa', kind: 'csat', score: 2 });
  t.equal(r.body.survey.callId, c2, 'a customer-only answer goes to their latest call');
  r = await api.post('/surveys', { customerHash: 'cust-never-called', kind: 'csat', score: 5 });
  t.equal(r.status, 201);
  t.equal(r.body.survey.callId, null);

  const bad: [unknown, number, RegExp][] = [
    [{ callId: c1, kind: 'nps', score: 11 }, 400, /score/],
    [{ callId: c1, kind: 'csat', score: 0 }, 400, /CSAT score is 1-5, got 0/],
    [{ callId: c1, kind: 'csat', score: 6 }, 400, /CSAT score is 1-5, got 6/],
    [{ callId: c1, kind: 'nps', score: 7.5 }, 400, /integer/],
    [{ kind: 'nps', score: 7 }, 400, /give callId or customerHash/],
    [{ callId: c1, kind: 'ces', score: 3 }, 400, /kind/],
    [{ callId: 'no-such-call', kind: 'nps', score: 3 }, 404, /no such call/],
    [{ callId: c1, customerHash: 'someone-else', kind: 'nps', score: 3 }, 400, /does not match/],
    ['{"kind": ', 400, /JSON/],
  ];
  for (const [body, status, msg] of bad) {
    const res = await api.post('/surveys', body);
    t.equal(res.status, status, JSON.stringify(body));
    t.match(res.body.error.message, msg);
  }
  t.equal(await counterValue(env.metrics, 'earshot_bad_input_total', { parser: 'api' }), bad.length);
  t.equal(await counterValue(env.metrics, 'earshot_bad_input_total', { parser: 'api', reason: 'survey-score' }), 2);
  t.equal((dbOf(env.store).prepare('SELECT COUNT(*) AS n FROM surveys').get() as { n: number }).n, 3, 'nothing bad was stored');
  // Fastify's default validator drops unknown keys instead of refusing them: nothing extra is kept.
  r = await api.post('/surveys', { callId: c1, kind: 'nps', score: 3, name: 'Alice' });
  t.equal(r.status, 201);
  t.notOk('name' in r.body.survey);
});

t.test('CSV import stores good rows and reports bad ones by line', async (t) => {
  const env = testEnv(t.testdir());
  const c1 = call(env, { startedAt: MON, agentId: 'a1', customerHash: 'cust-bbbb' });
  const api = await serve(t, env);
  const csv = ['call_id,customer_hash,kind,score,received_at', `${c1},,nps,10,2026-11-17T10:00:00Z`, ',cust-bbbb,csat,4,', `${c1},,nps,12,`, 'missing,,nps,5,', `${c1},,nps,abc,`, ''].join('\n');
  const r = await api.post('/surveys/import', csv, 'text/csv');
  t.equal(r.status, 201);
  t.equal(r.body.imported, 2);
  t.same(r.body.rejected.map((x: { line: number; reason: string }) => [x.line, x.reason]), [
    [4, 'survey-score'],
    [5, 'survey-call-unknown'],
    [6, 'survey-score'],
  ]);
  const rows = dbOf(env.store).prepare('SELECT call_id, kind, score, received_at, source FROM surveys ORDER BY id').all();
  t.same(rows, [
    { call_id: c1, kind: 'nps', score: 10, received_at: Date.parse('2026-11-17T10:00:00Z'), source: 'csv' },
    { call_id: null, kind: 'csat', score: 4, received_at: MON + 20 * DAY, source: 'csv' }, // last call is outside the 7-day window
  ]);
  t.equal(await counterValue(env.metrics, 'earshot_bad_input_total', { parser: 'csv-surveys' }), 3);
  const bad = await api.post('/surveys/import', 'call_id,phone\nx,y\n', 'text/csv');
  t.equal(bad.status, 400);
  t.match(bad.body.error.message, /unknown column\(s\) phone/);
  const broken = await api.post('/surveys/import', 'kind,score\n"nps,3\n', 'text/csv');
  t.equal(broken.status, 400);
  t.match(broken.body.error.message, /not valid CSV/);
});

t.test('NPS by agent, queue, site and week from a known survey set', async (t) => {
  const env = testEnv(t.testdir());
  const a1 = call(env, { startedAt: MON, agentId: 'a1', queue: 'billing' });
  const a2 = call(env, { startedAt: MON, agentId: 'a2', queue: 'sales' });
  const ins = dbOf(env.store).prepare("INSERT INTO surveys (call_id, kind, score, received_at) VALUES (?, ?, ?, ?)");
  for (const s of [10, 9, 8, 3, 0]) ins.run(a1, 'nps', s, MON + DAY);
  for (const s of [10, 10, 10, 7]) ins.run(a2, 'nps', s, MON + 8 * DAY); // the next week
  for (const s of [4, 5]) ins.run(a1, 'csat', s, MON + DAY);
  const byAgent = npsReport(dbOf(env.store), { by: 'agent', period: 'all' });
  t.same(byAgent.map((r) => [r.key, r.responses, r.promoters, r.passives, r.detractors, r.nps, r.csatAvg]), [
    ['a1', 5, 2, 1, 2, 0, 4.5],
    ['a2', 4, 3, 1, 0, 75, null],
  ]);
  const site = npsReport(dbOf(env.store), { by: 'site', period: 'all' });
  t.equal(site[0].nps, 33.3, '(5 promoters - 2 detractors) / 9');
  const weekly = npsReport(dbOf(env.store), { by: 'queue', period: 'week' });
  t.same(weekly.map((r) => [r.key, r.periodStart, r.nps]), [
    ['billing', MON, 0],
    ['sales', MON + 7 * DAY, 75],
  ]);
  t.same(npsReport(dbOf(env.store), { by: 'site', period: 'all', from: MON + 7 * DAY })[0].responses, 4, 'range filter');
  const api = await serve(t, env);
  const r = await api.get('/nps?by=agent&period=all');
  t.equal(JSON.parse(r.text).rows.length, 2);
  t.equal((await api.get('/nps?by=planet')).status, 400);
});

t.test('detractor root cause and the high-risk pool', async (t) => {
  const env = testEnv(t.testdir());
  const h = 'cust-risky';
  const old = call(env, { startedAt: MON, customerHash: h, agentId: 'a1' });
  const calls = [1, 2, 3].map((i) => call(env, { startedAt: MON + i * DAY, customerHash: h, agentId: 'a1' }, { sentiment: { negativeEnd: i === 3 } }));
  env.store.addLeg({ legId: 'L1', callId: calls[2], role: 'customer', label: '0' });
  const uid = (seq: number, s: number) => env.store.addUtterance({ callId: calls[2], legId: 'L1', role: 'customer', seq, text: '[x]', lang: 'en', startMs: seq * 1000, endMs: seq * 1000 + 500, sentiment: s, emotion: 'angry', emotionConfidence: 1, categories: [], redactions: 0 });
  const worst = uid(1, -0.9);
  uid(2, 0.4);
  env.store.addCallEvent({ callId: calls[2], kind: 'category', tMs: 1, data: { rule: 'competitor' } });
  env.store.addCallEvent({ callId: calls[1], kind: 'category', tMs: 1, data: { rule: 'competitor' } });
  env.store.addCallEvent({ callId: calls[1], kind: 'category', tMs: 1, data: { rule: 'billing.dispute' } });
  env.store.addCallEvent({ callId: old, kind: 'category', tMs: 1, data: { rule: 'too-old' } });
  env.store.addCallEvent({ callId: calls[2], kind: 'intent', tMs: 1, data: { intent: 'churn-risk', confidence: 0.8 } });
  env.store.insertAlarm({ callId: calls[2], rule: 'customer-negative-streak', severity: 'warning', state: 'open', message: 'm', raisedAt: MON + 3 * DAY });
  dbOf(env.store).prepare("INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, ?, 'nps', 2, ?)").run(calls[2], h, MON + 4 * DAY);
  // A calmer customer: one negative call only. A happy one: not in the pool.
  call(env, { startedAt: MON + DAY, customerHash: 'cust-meh' }, { sentiment: { negativeEnd: true } });
  call(env, { startedAt: MON + DAY, customerHash: 'cust-happy' }, { sentiment: { negativeEnd: false } });
  env.store.flush();

  const rc = detractorRootCause(dbOf(env.store), h);
  t.match(rc.lastNps, { score: 2, class: 'detractor' });
  t.same(rc.calls.map((c) => c.callId), [calls[2], calls[1], calls[0]], 'the last three calls, newest first');
  t.same(rc.calls[0].worstMoments, [{ utteranceId: worst, startMs: 1000, sentiment: -0.9, emotion: 'angry' }]);
  t.same(rc.calls[0].alarms.map((a) => a.rule), ['customer-negative-streak']);
  t.same(rc.topCategories, [{ id: 'competitor', hits: 2 }, { id: 'billing.dispute', hits: 1 }]);

  const pool = highRiskCustomers(dbOf(env.store), { since: MON - DAY });
  t.same(pool.map((p) => [p.customerHash, p.score, p.reasons]), [
    // The competitor named on two calls is a churn seed (docs/care.md): +2 and its reason.
    [h, 1 + 2 + 3 + 2, ['negative-calls', 'churn-intent', 'detractor', 'competitor']],
    ['cust-meh', 1, ['negative-calls']],
  ]);
  const csv = highRiskCsv(pool).trim().split('\n');
  t.equal(csv[0], 'customer_hash,risk_score,calls,negative_calls,churn_signals,last_nps,detractor,last_call_at,reasons');
  t.equal(csv[1], `${h},8,4,1,1,2,yes,${new Date(MON + 3 * DAY).toISOString()},negative-calls churn-intent detractor competitor`);
  const api = await serve(t, env);
  const r = await api.get('/customers/high-risk?format=csv&sinceDays=365');
  t.match(r.type, /^text\/csv/);
  t.equal(r.text.trim().split('\n').length, 3);
  t.equal(JSON.parse((await api.get(`/customers/${h}/root-cause`)).text).calls.length, 3);
});

const rng = mulberry32;

t.test('predicted NPS class: too few surveys, then held-out accuracy well above the majority baseline', async (t) => {
  const env = testEnv(t.testdir());
  const rnd = rng(7);
  const ins = dbOf(env.store).prepare("INSERT INTO surveys (call_id, kind, score, received_at) VALUES (?, 'nps', ?, ?)");
  const add = (i: number) => {
    // Ground truth: the score follows the customer's sentiment and silence, plus noise.
    const sentiment = rnd() * 2 - 1;
    const silence = rnd() * 40_000;
    const id = call(env, { startedAt: MON + i * 60_000 }, { sentiment: { customerAvg: sentiment, customerEnd: sentiment, negativeEnd: sentiment < -0.2 }, silenceMs: silence, agentTalkRatio: 0.5 });
    const noise = (rnd() + rnd() + rnd() - 1.5) * 1.5;
    ins.run(id, Math.max(0, Math.min(10, Math.round(6.5 + 4 * sentiment - silence / 20_000 + noise))), MON + DAY);
    return id;
  };
  for (let i = 0; i < 29; i++) add(i);
  const few = fitNpsModel(dbOf(env.store));
  t.match(few, { ok: false, reason: 'too-few-surveys', surveys: 29, needed: 30 });
  const api = await serve(t, env);
  const tooFew = await api.get(`/calls/c${n}/nps-prediction`);
  t.equal(tooFew.status, 409);
  t.match(JSON.parse(tooFew.text).error.message, /29 calls have an NPS answer; at least 30 are needed/);

  for (let i = 29; i < 400; i++) add(i);
  const fit = fitNpsModel(dbOf(env.store));
  if (!fit.ok) throw new Error('expected a fit');
  t.ok(fit.heldOut >= 60 && fit.trained >= 250, `split ${fit.trained}/${fit.heldOut}`);
  t.ok(fit.accuracy >= 0.7, `held-out accuracy ${fit.accuracy.toFixed(3)}`);
  t.ok(fit.accuracy >= fit.baselineAccuracy + 0.15, `baseline ${fit.baselineAccuracy.toFixed(3)}`);
  t.comment(`predicted NPS: held-out accuracy ${fit.accuracy.toFixed(3)} vs majority ${fit.baselineAccuracy.toFixed(3)} (${fit.trained} train / ${fit.heldOut} held out)`);

  // The split is stable and disjoint.
  const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
  const held = keys.filter((k) => isHeldOut(k, 0.25)).length;
  t.ok(held > 200 && held < 300);
  const noSignal: Sample[] = keys.slice(0, 300).map((k, i) => ({ key: k, x: new Array(11).fill(0), y: i % 3 === 0 ? 'promoter' : 'detractor' }));
  const flat = fitNpsModel(noSignal);
  t.ok(flat.ok && flat.accuracy === flat.baselineAccuracy, 'no signal: it predicts the majority class, no better');

  const unhappy = call(env, { startedAt: MON + 500 * 60_000 }, { sentiment: { customerAvg: -0.9, customerEnd: -0.9, negativeEnd: true }, silenceMs: 30_000 });
  const happy = call(env, { startedAt: MON + 501 * 60_000 }, { sentiment: { customerAvg: 0.9, customerEnd: 0.9 }, silenceMs: 0 });
  const api2 = await serve(t, env);
  t.equal(JSON.parse((await api2.get(`/calls/${unhappy}/nps-prediction`)).text).prediction.class, 'detractor');
  t.equal(JSON.parse((await api2.get(`/calls/${happy}/nps-prediction`)).text).prediction.class, 'promoter');
  t.equal((await api2.get('/calls/nope/nps-prediction')).status, 404);
});

// Last in the file: the fit test above depends on the call ids `call()` hands out before it.
t.test('GET /nps by channel and for one channel; an unknown channel is refused and counted', async (t) => {
  const env = testEnv(t.testdir());
  const voice = call(env, { startedAt: MON, agentId: 'a1', queue: 'billing' });
  const chat = call(env, { startedAt: MON, agentId: 'a1', queue: 'billing', channel: 'chat' });
  const api = await serve(t, env);
  for (const s of [10, 9, 2]) t.equal((await api.post('/surveys', { callId: voice, kind: 'nps', score: s })).status, 201);
  for (const s of [0, 3]) t.equal((await api.post('/surveys', { callId: chat, kind: 'nps', score: s })).status, 201);
  const rows = (path: string) => api.get(path).then((r) => (JSON.parse(r.text) as { rows: { key: string; responses: number; nps: number }[] }).rows.map((x) => [x.key, x.responses, x.nps]));
  t.same(await rows('/nps?by=channel&period=all'), [['chat', 2, -100], ['voice', 3, 33.3]]);
  t.same(await rows('/nps?by=agent&period=all&channel=chat'), [['a1', 2, -100]]);
  t.same(await rows('/nps?by=agent&period=all'), [['a1', 5, -20]], 'without a channel: every channel');
  const before = await counterValue(env.metrics, 'earshot_bad_input_total', { parser: 'api' });
  const bad = await api.get('/nps?channel=Philomena');
  t.equal(bad.status, 400);
  t.notMatch(bad.text, /Philomena/u, 'the refused value is not echoed');
  t.equal(await counterValue(env.metrics, 'earshot_bad_input_total', { parser: 'api' }), before + 1);
});
