// Insight reports over a real SQLite store seeded with known calls, utterances, category hits,
// alarms and NPS answers: figures, period-over-period changes, storage, the API and no PII.
import t from 'tap';
import { pino } from 'pino';
import type { EmotionLabel } from '../../src/call/types.js';
import type { Store } from '../../src/store/types.js';
import { buildReport, createReportScheduler } from '../../src/web/reports/index.js';
import { login, startServer } from './helpers/server.js';
import { openTestStore } from './helpers/store.js';
import { dbOf } from '../helpers/db.js';

const H = 3_600_000;
const DAY = 24 * H;
const MON = Date.UTC(2026, 10, 16); // Monday 16 Nov 2026
const SUN = MON - DAY;
// Strings that must never reach a report: the customer's hash, number, name and AOR.
const PII = ['cust-hash-SECRET-7f3a', '5551234567', 'Alice Wonder', 'alice@example.com'];

interface Seed {
  at: number;
  agent: string;
  queue: string;
  qa: number;
  negEnd: boolean;
  cats: string[];
  emotions: EmotionLabel[];
  alarm?: { rule: string; severity: 'warning' | 'critical' };
  nps?: number;
}

function seed(store: Store, calls: Seed[]): string[] {
  const ids: string[] = [];
  const survey = dbOf(store).prepare("INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, ?, 'nps', ?, ?)");
  calls.forEach((c, i) => {
    const callId = `call-${i}-${c.agent}`;
    ids.push(callId);
    store.upsertCall({ callId, ingest: 'siprec', externalId: `ext-${callId}`, startedAt: c.at, agentId: c.agent, queue: c.queue, customerHash: PII[0] });
    const legId = `leg-${callId}`;
    store.addLeg({ legId, callId, role: 'customer', label: 'caller', participant: { name: PII[2], aor: `sip:+1${PII[1]}@example.com` } });
    c.emotions.forEach((emotion, k) =>
      store.addUtterance({ callId, legId, role: 'customer', seq: k, text: `this is ${PII[2]}, mail ${PII[3]} card [CARD]`, lang: 'en', startMs: k * 5000, endMs: k * 5000 + 3000, sentiment: emotion === 'angry' ? -0.8 : 0.2, emotion, emotionConfidence: 0.9, categories: [], redactions: 1 }),
    );
    for (const cat of c.cats) store.addCallEvent({ callId, legId, kind: 'category', tMs: 1000, data: { rule: cat } });
    if (c.alarm) store.insertAlarm({ callId, rule: c.alarm.rule, severity: c.alarm.severity, state: 'open', message: 'x', raisedAt: c.at + 60_000, agentId: c.agent });
    const items = [{ id: 'apology', label: 'Agent apologised', weight: 1, passed: c.qa >= 70 }];
    store.endCall(callId, 'ended', c.at + 180_000, { kpi: { short: false, sentiment: { negativeEnd: c.negEnd } }, qa: [{ scorecard: 'qa', score: c.qa, items }] });
    store.flush(); // calls are queued writes; the survey row refers to one
    if (c.nps !== undefined) survey.run(callId, PII[0], c.nps, c.at + H);
  });
  store.flush();
  return ids;
}

const A: EmotionLabel[] = ['angry', 'angry', 'frustrated', 'neutral'];
const CALM: EmotionLabel[] = ['neutral', 'satisfied'];
const DATA: Seed[] = [
  // Sunday: the previous day (and the previous week).
  { at: SUN + 10 * H, agent: 'a1', queue: 'billing', qa: 80, negEnd: false, cats: ['complaint'], emotions: CALM, alarm: { rule: 'anger', severity: 'warning' }, nps: 9 },
  { at: SUN + 11 * H, agent: 'a2', queue: 'sales', qa: 90, negEnd: false, cats: [], emotions: CALM },
  // Monday.
  { at: MON + 9 * H, agent: 'a1', queue: 'billing', qa: 50, negEnd: true, cats: ['complaint', 'complaint', 'churn'], emotions: A, alarm: { rule: 'escalation', severity: 'critical' }, nps: 3 },
  { at: MON + 10 * H, agent: 'a1', queue: 'billing', qa: 60, negEnd: false, cats: ['complaint'], emotions: CALM, nps: 10 },
  { at: MON + 14 * H, agent: 'a2', queue: 'sales', qa: 95, negEnd: false, cats: [], emotions: CALM, nps: 9 },
  { at: MON + 15 * H, agent: 'a2', queue: 'sales', qa: 90, negEnd: false, cats: ['complaint'], emotions: CALM, nps: 6 },
];

t.test('a daily report: figures, changes against the day before, agents to coach with their calls', async (t) => {
  const store = openTestStore(t.testdir());
  t.teardown(() => store.close());
  const ids = seed(store, DATA);
  const r = buildReport(dbOf(store), 'day', MON + 12 * H);
  t.equal(r.start, MON);
  t.equal(r.end, MON + DAY);
  t.equal(r.prevStart, SUN);
  t.same(r.totals.calls, { now: 4, prev: 2 });
  t.same(r.totals.alarms, { now: 1, prev: 1 });
  t.equal(r.totals.qaAvg.now, (50 + 60 + 95 + 90) / 4);
  t.equal(r.totals.negEndShare.now, 0.25);
  t.equal(r.totals.avgDurationMs.now, 180_000);

  t.same(r.categories.map((c) => [c.id, c.calls, c.hits, c.prevCalls, c.delta]), [
    ['complaint', 3, 4, 1, 2],
    ['churn', 1, 1, 0, 1],
  ]);
  // NPS: 10, 9 promoters; 3, 6 detractors → 0; the day before: one 9 → 100.
  t.match(r.nps.now, { responses: 4, promoters: 2, detractors: 2, nps: 0 });
  t.equal(r.nps.prev.nps, 100);
  t.equal(r.nps.now.histogram[3], 1);
  // Complaint calls were answered 3, 10, 6: NPS −33.3, 33.3 below all answers.
  t.match(r.drivers.find((d) => d.driver === 'category:complaint'), { responses: 3, nps: -33.3, impact: -33.3 });
  t.same(r.alarms.map((a) => [a.rule, a.severity, a.count, a.open, a.prevCount]), [['escalation', 'critical', 1, 1, 0]]);
  // The angriest hour is 09:00 (3 of 4 customer utterances angry or frustrated), queue billing.
  t.match(r.hotSpots.times[0], { key: MON + 9 * H, n: 4, negShare: 0.75 });
  t.equal(r.hotSpots.queues[0].key, 'billing');

  t.equal(r.coach.length, 1, 'only a1 is flagged');
  t.match(r.coach[0], { agentId: 'a1', calls: 2, qaAvg: 55, negEndShare: 0.5, alarms: 1 });
  t.same(r.coach[0].reasons, ['low-qa', 'negative-endings', 'alarms']);
  t.same(r.coach[0].evidence.map((c) => c.callId), [ids[2], ids[3]], 'worst call first');
  t.same(r.coach[0].evidence[0].failedItems, ['Agent apologised']);
  t.same(r.coach[0].evidence[0].alarmRules, ['escalation']);

  const week = buildReport(dbOf(store), 'week', MON + 3 * DAY);
  t.equal(week.start, MON, 'weeks start on Monday');
  t.same(week.totals.calls, { now: 4, prev: 2 });
  const month = buildReport(dbOf(store), 'month', MON);
  t.equal(month.start, Date.UTC(2026, 10, 1));
  t.same(month.totals.calls, { now: 6, prev: 0 });
  t.same(month.categories[0], { id: 'complaint', hits: 5, calls: 4, prevCalls: 0, delta: 4 });
});

// Both paths: figures read on the loop, and in the read pool's worker (as `serve` opens the store).
for (const reads of [false, true]) t.test(`the scheduler makes each finished period once, after 00:05 UTC (${reads ? 'read pool' : 'on the loop'})`, async (t) => {
  const store = openTestStore(t.testdir(), undefined, reads);
  t.equal(!!store.reads, reads);
  t.teardown(() => store.close());
  seed(store, DATA);
  let now = MON + DAY + 4 * 60_000; // Tuesday 00:04
  const s = createReportScheduler({ store, log: pino({ level: 'silent' }), clock: () => now });
  t.teardown(() => s.close());
  t.equal(s.nextRun(), MON + DAY + 5 * 60_000);
  // Monday's own periods (week of the 16th, November) are not over; Sunday's day, the week before and October are.
  const first = await s.runDue(MON + 5 * 60_000);
  t.same(first.map((r) => [r.period, r.start]).sort(), [['day', SUN], ['month', Date.UTC(2026, 9, 1)], ['week', MON - 7 * DAY]].sort());
  t.same(await s.runDue(now), [], 'nothing more before 00:05');
  now += 60_000;
  const second = await s.runDue();
  t.same(second.map((r) => [r.period, r.start]), [['day', MON]]);
  t.match(second[0].summary, { calls: 4, alarms: 1, nps: 0, coach: 1, topCategory: 'complaint' });
  t.same(await s.runDue(), [], 'each period once');
  t.equal(s.nextRun(), MON + 2 * DAY + 5 * 60_000);
  t.equal(dbOf(store).prepare("SELECT COUNT(*) FROM reports WHERE created_by = 'scheduler'").pluck().get(), 4);
});

for (const reads of [false, true]) t.test(`reports API: generate (supervisor), list, download HTML and CSV without PII (${reads ? 'read pool' : 'on the loop'})`, async (t) => {
  const s = await startServer(t, { listen: false, reads });
  t.equal(!!s.store.reads, reads);
  const ids = seed(s.store, DATA);
  const sup = await login(s.app, 'supervisor');
  const viewer = await login(s.app, 'viewer');
  const post = (who: typeof sup, payload: unknown) => s.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { cookie: who.cookie, 'x-csrf-token': who.csrf }, payload: payload as object });

  t.equal((await post(viewer, { period: 'day', start: '2026-11-16' })).statusCode, 403, 'a viewer cannot generate');
  const bad = await post(sup, { period: 'day', start: '2026-13-45' });
  t.equal(bad.statusCode, 400);
  t.equal((await post(sup, { period: 'year', start: '2026-11-16' })).statusCode, 400);
  t.equal((await post(sup, { period: 'day', start: Date.now() + DAY })).statusCode, 400, 'no reports of the future');
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total'), /reason="report-start"} 1/);

  const res = await post(sup, { period: 'day', start: '2026-11-16' });
  t.equal(res.statusCode, 201);
  const { report } = res.json() as { report: { id: number; start: number; createdBy: string } };
  t.match(report, { start: MON, createdBy: 'supervisor' });
  const zh = (await post(sup, { period: 'week', start: '2026-11-18', lang: 'zh' })).json() as { report: { id: number; start: number } };
  t.equal(zh.report.start, MON, 'any day of the week gives that week');

  const list = (await s.app.inject({ url: '/api/v1/reports', headers: { cookie: viewer.cookie } })).json() as { reports: { id: number }[] };
  t.same(list.reports.map((r) => r.id).sort(), [report.id, zh.report.id].sort(), 'viewers can list');

  const html = await s.app.inject({ url: `/api/v1/reports/${report.id}.html`, headers: { cookie: viewer.cookie } });
  t.equal(html.statusCode, 200);
  t.match(html.headers['content-type'], /text\/html/);
  t.match(html.headers['content-security-policy'], /default-src 'none'/);
  t.notMatch(html.body, /<script/i);
  t.match(html.body, `href="/#/calls/${ids[2]}"`, 'links to the call detail');
  t.match(html.body, /<tr data-category="complaint"><td>complaint<\/td><td class="n">3<\/td>/);
  t.match(html.body, /<tr data-agent="a1">/);
  const csv = await s.app.inject({ url: `/api/v1/reports/${report.id}.csv`, headers: { cookie: viewer.cookie } });
  t.match(csv.headers['content-disposition'], /earshot-day-2026-11-16\.csv/);
  t.match(csv.body, /^section,key,metric,value,previous\n/);
  t.match(csv.body, /\ncategory,complaint,calls,3,1\n/);
  t.match(csv.body, /\nnps,site,nps,0,100\n/);
  const zhHtml = (await s.app.inject({ url: `/api/v1/reports/${zh.report.id}.html`, headers: { cookie: viewer.cookie } })).body;
  t.match(zhHtml, /每周洞察报告/);
  for (const body of [html.body, csv.body, zhHtml]) for (const p of PII) t.notOk(body.includes(p), `no "${p}" in the report`);

  t.equal((await s.app.inject({ url: '/api/v1/reports/9999.html', headers: { cookie: viewer.cookie } })).statusCode, 404);
  t.equal((await s.app.inject({ url: `/api/v1/reports/${report.id}.pdf`, headers: { cookie: viewer.cookie } })).statusCode, 400);
  const audits = dbOf(s.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'report.create'").pluck().get();
  t.equal(audits, 2, 'generating is audited; reading is not');

  const ins = (await s.app.inject({ url: `/api/v1/insights?from=${SUN}&to=${MON + DAY}`, headers: { cookie: viewer.cookie } })).json() as Record<string, unknown>;
  t.match(ins, { nps: { responses: 5 }, alarmsByRule: [{ rule: 'anger' }, { rule: 'escalation' }].sort() });
  t.equal((ins.categoryHeat as { id: string; bucket: number; calls: number }[]).find((c) => c.id === 'complaint' && c.bucket === MON)?.calls, 3);
  for (const p of PII) t.notOk(JSON.stringify(ins).includes(p));
  t.equal(ins.highRisk, null, 'viewers get no customer pool');
  // The pool covers the last 30 days of the real clock: add a recent negative call.
  seed(s.store, [{ at: Date.now() - DAY, agent: 'a9', queue: 'billing', qa: 80, negEnd: true, cats: [], emotions: CALM }]);
  const forSup = (await s.app.inject({ url: '/api/v1/insights', headers: { cookie: sup.cookie } })).json() as { highRisk: { customerHash: string; reasons: string[] }[] };
  t.match(forSup.highRisk, [{ customerHash: PII[0], reasons: ['negative-calls'] }], 'supervisors see the high-risk pool (salted hashes)');
  t.equal((await s.app.inject({ url: '/api/v1/insights?from=10&to=5', headers: { cookie: sup.cookie } })).statusCode, 400);
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total'), /reason="insights-range"} 1/);
});
