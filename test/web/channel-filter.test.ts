// The channel filter of the web API (issue 17) on a real server over a real SQLite file: calls
// list, alarms list and the dashboard overview answer only the chosen channel's conversations, a
// value outside the enum is a 400 with the API's one error body (counted), and the insight report
// carries the channel mix.
import t from 'tap';
import { startServer, login } from './helpers/server.js';
import { buildReport } from '../../src/web/reports/index.js';
import type { Store } from '../../src/store/types.js';
import { dbOf } from '../helpers/db.js';
import { recordSurvey } from '../../src/kpi/index.js';
import { careRoutes } from '../../src/care/routes.js';
import { createMetrics } from '../../src/metrics/registry.js';

const H = 3_600_000;

function seed(store: Store, now: number) {
  const calls: [string, 'voice' | 'chat' | 'wechat', number][] = [
    ['v1', 'voice', now - 5 * H],
    ['v2', 'voice', now - 3 * H],
    ['c1', 'chat', now - 4 * H],
    ['c2', 'chat', now - 2 * H],
    ['c3', 'chat', now - 90 * 60_000],
    ['w1', 'wechat', now - H],
  ];
  for (const [id, channel, at] of calls) {
    store.upsertCall({ callId: id, ingest: channel === 'voice' ? 'siprec' : 'conversation', externalId: `x-${id}`, startedAt: at, agentId: 'a1', queue: 'q', channel });
    store.addLeg({ legId: `${id}-l`, callId: id, role: 'customer', label: '0' });
    store.addUtterance({ callId: id, legId: `${id}-l`, role: 'customer', seq: 0, text: 'hello', lang: 'en', startMs: 0, endMs: 500, sentiment: channel === 'chat' ? -0.8 : 0.5, emotion: channel === 'chat' ? 'angry' : 'satisfied', emotionConfidence: 1, categories: [], redactions: 0 });
    store.addCallEvent({ callId: id, legId: `${id}-l`, kind: 'category', tMs: 100, data: { category: channel === 'chat' ? 'billing' : 'refund' } });
    store.endCall(id, 'ended', at + 120_000);
  }
  store.flush();
  store.insertAlarm({ callId: 'c1', rule: 'anger', severity: 'warning', state: 'open', message: 'chat alarm', raisedAt: now - 4 * H + 60_000, agentId: 'a1' });
  store.insertAlarm({ callId: 'v1', rule: 'anger', severity: 'critical', state: 'open', message: 'voice alarm', raisedAt: now - 5 * H + 60_000, agentId: 'a1' });
  const survey = dbOf(store).prepare("INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, 'h', 'nps', ?, ?)");
  survey.run('c1', 2, now - 3 * H);
  survey.run('v1', 10, now - 4 * H);
  survey.run('v2', 9, now - 2 * H);
}

t.test('channel filter on calls, alarms and the overview; a bad value is a 400', async (t) => {
  const s = await startServer(t, { listen: false });
  const now = Date.now();
  seed(s.store, now);
  const who = await login(s.app, 'viewer');
  const get = (url: string) => s.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { cookie: who.cookie } });

  const calls = (await get('/calls?channel=chat')).json() as { calls: { callId: string; channel: string }[] };
  t.same(calls.calls.map((c) => c.callId), ['c3', 'c2', 'c1'], 'chat conversations only, newest first');
  t.ok(calls.calls.every((c) => c.channel === 'chat'), 'each row names its channel');
  t.same(((await get('/calls')).json() as { calls: unknown[] }).calls.length, 6, 'no filter: every channel');
  t.same(((await get('/calls?channel=sms')).json() as { calls: unknown[] }).calls, [], 'a channel with none');

  const alarms = (await get('/alarms?channel=chat')).json() as { alarms: { callId: string; message: string }[] };
  t.same(alarms.alarms.map((a) => a.callId), ['c1']);
  t.same(((await get('/alarms?channel=voice')).json() as { alarms: { callId: string }[] }).alarms.map((a) => a.callId), ['v1']);
  t.equal(((await get('/alarms')).json() as { alarms: unknown[] }).alarms.length, 2);

  const all = (await get('/kpi/overview')).json() as { totals: { calls: number }; nps: { n: number } };
  t.equal(all.totals.calls, 6);
  t.equal(all.nps.n, 3);
  const chat = (await get('/kpi/overview?channel=chat')).json() as {
    channel: string;
    totals: { calls: number; avgDurationMs: number };
    callsPerHour: { calls: number }[];
    emotions: { role: string; emotion: string; n: number }[];
    alarms: { severity: string; n: number }[];
    nps: { n: number; score: number };
  };
  t.equal(chat.channel, 'chat');
  t.equal(chat.totals.calls, 3);
  t.equal(chat.totals.avgDurationMs, 120_000);
  t.equal(chat.callsPerHour.reduce((n, h) => n + h.calls, 0), 3);
  t.same(chat.emotions.map((e) => [e.role, e.emotion, e.n]), [['customer', 'angry', 3]], "only the chat customers' utterances");
  t.same(chat.alarms.map((a) => [a.severity, a.n]), [['warning', 1]]);
  t.same(chat.nps, { n: 1, score: -100 }, "the chat call's survey only");
  const wechat = (await get('/kpi/overview?channel=wechat')).json() as { totals: { calls: number }; nps: unknown; alarms: unknown[] };
  t.equal(wechat.totals.calls, 1);
  t.equal(wechat.nps, null);
  t.same(wechat.alarms, []);

  const badQueries = async () => Number((await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total')).match(/reason="invalid-querystring"\} (\d+)/u)?.[1] ?? 0);
  const before = await badQueries();
  for (const url of ['/calls?channel=fax', '/alarms?channel=Chat', '/kpi/overview?channel=', '/kpi/overview?channel=voice%27--']) {
    const r = await get(url);
    t.equal(r.statusCode, 400, url);
    const body = r.json() as { error: { code: string; message: string; details: { context: string; problems: { path: string }[] } } };
    t.equal(body.error.code, 'EARSHOT_ERR_BAD_INPUT', `${url}: the API's one error body`);
    t.equal(body.error.details.context, 'querystring');
    t.match(body.error.details.problems[0].path, /channel/);
    t.notMatch(r.body, /fax|--/, 'the offending value is not echoed');
  }
  t.equal(await badQueries(), before + 4, 'each bad value counted');
});

t.test('/insights of one channel: every panel covers its conversations only; a bad value is a 400', async (t) => {
  const s = await startServer(t, { listen: false });
  const now = Date.now();
  seed(s.store, now);
  const who = await login(s.app, 'supervisor');
  type Insights = {
    channel?: string;
    nps: { responses: number; histogram: number[] };
    npsTrend: { responses: number }[];
    drivers: { driver: string; responses: number }[];
    emotionMap: { n: number; counts: Record<string, number> }[];
    categoryHeat: { id: string; calls: number }[];
    alarmsByRule: { rule: string; count: number; severity: string }[];
    agents: { agentId: string; calls: number }[];
    highRisk: unknown[] | null;
  };
  const get = async (q: string) => {
    const r = await s.app.inject({ method: 'GET', url: `/api/v1/insights${q}`, headers: { cookie: who.cookie } });
    t.equal(r.statusCode, 200, q);
    return r.json() as Insights;
  };
  const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);
  // The heat map is category x day: the seeded hours may straddle UTC midnight, so compare totals per category.
  const heat = (i: Insights) => [...new Set(i.categoryHeat.map((c) => c.id))].sort().map((id) => [id, sum(i.categoryHeat.filter((c) => c.id === id), (c) => c.calls)]);

  const all = await get('');
  t.equal(all.channel, undefined);
  t.equal(all.nps.responses, 3);
  t.same(heat(all), [['billing', 3], ['refund', 3]]);
  t.same(all.agents.map((a) => [a.agentId, a.calls]), [['a1', 6]]);

  const chat = await get('?channel=chat');
  t.equal(chat.channel, 'chat');
  t.equal(chat.nps.responses, 1, "the chat conversation's answer only");
  t.equal(chat.nps.histogram[2], 1);
  t.equal(sum(chat.npsTrend, (x) => x.responses), 1);
  t.same(heat(chat), [['billing', 3]]);
  t.same(chat.alarmsByRule.map((a) => [a.rule, a.count, a.severity]), [['anger', 1, 'warning']]);
  t.same(chat.agents.map((a) => [a.agentId, a.calls]), [['a1', 3]]);
  t.equal(sum(chat.emotionMap, (b) => b.n), 3);
  t.equal(sum(chat.emotionMap, (b) => b.counts.angry), 3, "the chat customers' angry messages");
  t.same(chat.highRisk, all.highRisk, 'the high-risk pool is the whole one');

  const voice = await get('?channel=voice');
  t.equal(voice.nps.responses, 2);
  t.same(heat(voice), [['refund', 2]]);
  t.same(voice.alarmsByRule.map((a) => [a.rule, a.severity]), [['anger', 'critical']]);
  t.equal(sum(voice.emotionMap, (b) => b.counts.satisfied), 2);
  const sms = await get('?channel=sms');
  t.same([sms.nps.responses, sms.categoryHeat, sms.alarmsByRule, sms.agents, sms.emotionMap, sms.drivers], [0, [], [], [], [], []], 'a channel with none');

  const badQueries = async () => Number((await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total')).match(/reason="invalid-querystring"\} (\d+)/u)?.[1] ?? 0);
  const before = await badQueries();
  const bad = await s.app.inject({ method: 'GET', url: '/api/v1/insights?channel=telex', headers: { cookie: who.cookie } });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { error: { code: 'EARSHOT_ERR_BAD_INPUT', details: { context: 'querystring' } } });
  t.notMatch(bad.body, /telex/, 'the offending value is not echoed');
  t.equal(await badQueries(), before + 1, 'counted');
});

t.test('the insight report has a channel mix, this period against the one before', async (t) => {
  const s = await startServer(t, { listen: false });
  const day = Date.UTC(2026, 10, 18);
  const add = (id: string, channel: 'voice' | 'chat' | 'email', at: number) => s.store.upsertCall({ callId: id, ingest: 'import', externalId: id, startedAt: at, channel });
  add('a', 'voice', day + H);
  add('b', 'chat', day + 2 * H);
  add('c', 'chat', day + 3 * H);
  add('d', 'email', day - 5 * H); // the day before
  s.store.flush();
  // NPS per channel in the mix: answers tied to the chats and the call, one tied to none.
  for (const [callId, score] of [['b', 10], ['c', 9], ['c', 2], ['a', 3], [null, 10]] as const) {
    recordSurvey(dbOf(s.store), { ...(callId ? { callId } : { customerHash: 'h-nobody' }), kind: 'nps', score, receivedAt: day + 6 * H }, { now: day + 6 * H, repeatWindowDays: 7 });
  }
  const r = buildReport(s.store.repos.reports, 'day', day + 12 * H);
  t.same(r.channels, [
    { channel: 'chat', calls: 2, share: 2 / 3, responses: 3, nps: 33.3, prevCalls: 0 },
    { channel: 'voice', calls: 1, share: 1 / 3, responses: 1, nps: -100, prevCalls: 0 },
    { channel: 'email', calls: 0, share: 0, responses: 0, nps: null, prevCalls: 1 },
  ]);
  const sup = await login(s.app, 'supervisor');
  const made = await s.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { cookie: sup.cookie, 'x-csrf-token': sup.csrf }, payload: { period: 'day', start: '2026-11-18', lang: 'zh' } });
  t.equal(made.statusCode, 201);
  const id = (made.json() as { report: { id: number } }).report.id;
  const html = (await s.app.inject({ method: 'GET', url: `/api/v1/reports/${id}.html`, headers: { cookie: sup.cookie } })).body;
  t.match(html, /<h2>渠道构成<\/h2>/, 'section title in the report language');
  t.match(html, /data-channel="chat"><td>网页聊天<\/td><td class="n">2<\/td><td class="n">67%<\/td>/);
  t.match(html, /data-channel="chat">.*<td class="n" data-nps>33\.3<\/td><td class="n">3<\/td><\/tr>/);
  const csv = (await s.app.inject({ method: 'GET', url: `/api/v1/reports/${id}.csv`, headers: { cookie: sup.cookie } })).body;
  t.match(csv, /channel,chat,calls,2,0/);
  t.match(csv, /channel,email,calls,0,1/);
  t.match(csv, /channel,chat,nps,33\.3/);
  t.match(csv, /channel,voice,nps_responses,1/);
});

t.test('care cases filter by the channel of the conversations in their evidence; a bad value is a 400', async (t) => {
  // The care routes as main registers them; the case service is not reached by a list.
  const s = await startServer(t, { listen: false, extend: (app, store, _bus) => void app.register(careRoutes({ store, cases: {} as never, metrics: createMetrics({ defaults: false }), answerWindowDays: 7 }), { prefix: '/api/v1' }) });
  const now = Date.now();
  seed(s.store, now);
  const open = (hash: string, calls: string[]) =>
    s.store.repos.cases.insert({ customerHash: hash, origin: 'supervisor', reason: 'detractor', openedBy: 'sup', openedAt: now - 60_000, dueAt: now + H, evidence: { calls: calls.map((callId) => ({ callId })) } }).row.id;
  const chatOnly = open('h-chat', ['c1', 'c2']);
  const voiceOnly = open('h-voice', ['v1']);
  const both = open('h-both', ['w1', 'v2']);
  open('h-none', []);
  const cases = s.app;
  const sup = await login(cases, 'supervisor');
  const ids = async (q: string) => {
    const r = await cases.inject({ method: 'GET', url: `/api/v1/cases${q}`, headers: { cookie: sup.cookie } });
    t.equal(r.statusCode, 200, q);
    return ((r.json() as { cases: { id: number }[] }).cases.map((c) => c.id)).sort((a, b) => a - b);
  };
  t.same(await ids('?channel=chat'), [chatOnly]);
  t.same(await ids('?channel=voice'), [voiceOnly, both].sort((a, b) => a - b), 'a case spanning channels is listed under each');
  t.same(await ids('?channel=wechat'), [both]);
  t.same(await ids('?channel=email'), []);
  t.equal((await ids('')).length, 4, 'no filter: every case, with or without evidence');
  const bad = await cases.inject({ method: 'GET', url: '/api/v1/cases?channel=fax', headers: { cookie: sup.cookie } });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { error: { code: 'EARSHOT_ERR_BAD_INPUT', message: 'querystring/channel must be equal to one of the allowed values' } });
});
