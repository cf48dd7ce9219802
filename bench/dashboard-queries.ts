// Dashboard queries over a generated store of 1M calls (issue #7; goal: each <= 200 ms).
// Times every read the console, dashboard, insights, reports and KPI/NPS API make, with the
// parameters they use (today's wallboard, last 24 h / 7 / 30 days, per agent and queue, first page of
// the calls list with and without filters, call detail, alarms, NPS, high-risk pool, root cause,
// reports), through the product's own query functions. Each query: one warm-up, then median and p95
// of several runs; the ratio is to `SELECT count(*) FROM calls` timed in the same run.
//   npm run build && node dist/bench/dashboard-queries.js [--calls N] [--days D] [--full-days F] [--fresh] [--runs R] [--only substr]
// The generated database is cached in os.tmpdir() by schema version, generator version and size;
// --fresh regenerates it. See dashboard-data.ts for what is generated.
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { detractorRootCause, fitNpsModel, highRiskCustomers, npsReport, queryRollups, rollupCall } from '../src/kpi/index.js';
import { openStore } from '../src/store/index.js';
import { createQueries } from '../src/web/queries.js';
import { buildReport } from '../src/web/reports/build.js';
import * as fig from '../src/web/reports/figures.js';
import { dataSet } from './dashboard-data.js';
import { connectionOf } from '../src/store/store.js';
import { ConversationsRepo } from '../src/store/repos/conversations.js';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '90' },
    'full-days': { type: 'string', default: '14' },
    runs: { type: 'string', default: '7' },
    fresh: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const GOAL_MS = 200;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const log = (s: string) => console.log(`dashboard-queries: ${s}`);

const ds = dataSet({ calls: Number(args.calls), days: Number(args.days), fullDays: Number(args['full-days']), fresh: args.fresh, log });
log(`store ${ds.path}: ${ds.calls.toLocaleString('en-US')} calls over ${ds.days} days, transcripts for the last ${ds.fullDays} days` +
  (args.fresh || ds.generatedInMs ? ` (generated in ${(ds.generatedInMs / 1000).toFixed(0)} s)` : ''));
const t0 = Date.now();
const store = openStore({ path: ds.path, recover: false });
log(`opened (and migrated if needed) in ${Date.now() - t0} ms`);
const db = connectionOf(store);
const q = createQueries(db);
const now = ds.now;
const today = Math.floor(now / DAY) * DAY;
const last = (ms: number) => ({ from: now + 1 - ms, to: now + 1 });
const one = <T>(sql: string) => db.prepare(sql).get() as T;
const recent = one<{ id: string; agent_id: string; customer_hash: string }>(`SELECT id, agent_id, customer_hash FROM calls WHERE state = 'ended' AND customer_hash IS NOT NULL ORDER BY started_at DESC LIMIT 1 OFFSET 500`);
const detractor = one<{ customer_hash: string } | undefined>(`SELECT customer_hash FROM surveys WHERE kind = 'nps' AND score <= 6 AND customer_hash IS NOT NULL ORDER BY received_at DESC LIMIT 1`);
const agent = recent.agent_id;
const page = { limit: 100, offset: 0 };

// name -> what runs. Each entry is what one API request or console panel executes.
const cases: [string, () => unknown][] = [
  ['baseline: call by primary key', () => db.prepare('SELECT * FROM calls WHERE id = ?').get(recent.id)],
  ['wallboard: overview today', () => q.overview({ from: today, to: now + 1 })],
  ['dashboard: overview last 24 h', () => q.overview(last(DAY))],
  ['dashboard: overview last 7 d', () => q.overview(last(7 * DAY))],
  ['dashboard: overview last 30 d', () => q.overview(last(30 * DAY))],
  // Generated calls are all voice: a voice filter is the worst case (every call of the range is voice).
  ['dashboard: overview last 24 h, channel voice', () => q.overview({ ...last(DAY), channel: 'voice' })],
  ['dashboard: overview last 7 d, channel voice', () => q.overview({ ...last(7 * DAY), channel: 'voice' })],
  ['dashboard: overview last 30 d, channel voice', () => q.overview({ ...last(30 * DAY), channel: 'voice' })],
  ['dashboard: overview last 7 d, channel chat (none)', () => q.overview({ ...last(7 * DAY), channel: 'chat' })],
  ['rollups: hour x site, 24 h', () => q.rollups({ bucket: 'hour', dim: 'site', ...last(DAY) })],
  ['rollups: minute x site, 24 h', () => q.rollups({ bucket: 'minute', dim: 'site', ...last(DAY) })],
  ['rollups: day x agent, 30 d', () => q.rollups({ bucket: 'day', dim: 'agent', ...last(30 * DAY) })],
  ['rollups: day x queue, 30 d', () => q.rollups({ bucket: 'day', dim: 'queue', ...last(30 * DAY) })],
  ['rollups: hour x one agent, 7 d', () => q.rollups({ bucket: 'hour', dim: 'agent', dimValue: agent, ...last(7 * DAY) })],
  ['kpi queryRollups: day x agent, 30 d', () => queryRollups(db, { bucket: 'day', dim: 'agent', ...last(30 * DAY) })],
  ['calls: first page', () => q.listCalls(page)],
  ['calls: active', () => q.listCalls({ ...page, state: 'active' })],
  ['calls: channel voice', () => q.listCalls({ ...page, channel: 'voice' })],
  ['calls: channel chat (none)', () => q.listCalls({ ...page, channel: 'chat' })],
  ['alarms: channel voice', () => q.listAlarms({ channel: 'voice', limit: 200 })],
  ['calls: one agent', () => q.listCalls({ ...page, agent })],
  ['calls: last 24 h', () => q.listCalls({ ...page, ...last(DAY) })],
  ['calls: page 5', () => q.listCalls({ ...page, offset: 400 })],
  ['calls: category common (billing)', () => q.listCalls({ ...page, category: 'billing' })],
  ['calls: category rare (legal-threat)', () => q.listCalls({ ...page, category: 'legal-threat' })],
  ['calls: category + agent', () => q.listCalls({ ...page, category: 'refund', agent })],
  ['calls: emotion angry', () => q.listCalls({ ...page, emotion: 'angry' })],
  ['calls: emotion angry + agent', () => q.listCalls({ ...page, emotion: 'angry', agent })],
  ['calls: text common ("refund")', () => q.listCalls({ ...page, q: 'refund' })],
  ['calls: text rare ("ombudsman")', () => q.listCalls({ ...page, q: 'ombudsman' })],
  ['calls: text absent ("zebra")', () => q.listCalls({ ...page, q: 'zebra' })],
  ['calls: text + 7 d range', () => q.listCalls({ ...page, q: 'ombudsman', ...last(7 * DAY) })],
  ['calls: text + agent', () => q.listCalls({ ...page, q: 'chargeback', agent })],
  ['call detail', () => q.callDetail(recent.id)],
  ['alarms: open (console default)', () => q.listAlarms({ state: 'open', limit: 1000 })],
  ['alarms: all, first 500', () => q.listAlarms({ limit: 500 })],
  ['alarms: one agent', () => q.listAlarms({ agent, limit: 500 })],
  ['alarms: one rule, critical', () => q.listAlarms({ rule: 'abusive-language', severity: 'critical', limit: 500 })],
  ['nps: by site per week, all time', () => npsReport(db, { by: 'site', period: 'week' })],
  ['nps: by agent per week, 30 d', () => npsReport(db, { by: 'agent', period: 'week', ...last(30 * DAY) })],
  ['nps: by queue per month, all time', () => npsReport(db, { by: 'queue', period: 'month' })],
  // By channel (survey_days.channel since migration 014): days, not every answer of the range.
  ['nps: by channel per week, all time', () => npsReport(db, { by: 'channel', period: 'week' })],
  ['nps: channel voice by agent per week, 90 d', () => npsReport(db, { by: 'agent', period: 'week', channel: 'voice', ...last(90 * DAY) })],
  ['conversations: nps by channel, 90 d', () => new ConversationsRepo(db).npsByChannel(now - 90 * DAY, now + 1)],
  ['nps model: fit', () => fitNpsModel(db)],
  ['high-risk pool: 30 d (API default)', () => highRiskCustomers(db, { since: now - 30 * DAY, limit: 1000 })],
  ['root cause: a detractor', () => detractorRootCause(db, detractor?.customer_hash ?? recent.customer_hash)],
  ['insights: nps 14 d', () => fig.nps(db, last(14 * DAY))],
  ['insights: nps trend 14 d', () => fig.npsTrend(db, last(14 * DAY), DAY)],
  ['insights: drivers 14 d', () => fig.npsDrivers(db, last(14 * DAY))],
  ['insights: emotion map 14 d', () => fig.emotionMap(db, last(14 * DAY), DAY)],
  ['insights: emotion map 2 d hourly', () => fig.emotionMap(db, last(2 * DAY), HOUR)],
  ['insights: category heat 14 d', () => fig.categoryHeat(db, last(14 * DAY), DAY)],
  ['insights: alarms by rule 14 d', () => fig.alarmsByRule(db, last(14 * DAY))],
  ['insights: agents 14 d', () => fig.agents(db, last(14 * DAY))],
  ['insights: high risk (15)', () => highRiskCustomers(db, { since: now - 30 * DAY, limit: 15 })],
  // The /insights panels of one channel (voice: every generated call, the worst case).
  ['insights: nps 14 d, channel voice', () => fig.nps(db, last(14 * DAY), 'voice')],
  ['insights: drivers 14 d, channel voice', () => fig.npsDrivers(db, last(14 * DAY), 2, 'voice')],
  ['insights: emotion map 14 d, channel voice', () => fig.emotionMap(db, last(14 * DAY), DAY, 'voice')],
  ['insights: category heat 14 d, channel voice', () => fig.categoryHeat(db, last(14 * DAY), DAY, 'voice')],
  ['insights: alarms by rule 14 d, channel voice', () => fig.alarmsByRule(db, last(14 * DAY), 'voice')],
  ['insights: agents 14 d, channel voice', () => fig.agents(db, last(14 * DAY), 'voice')],
  // Not a read: the kpi stage runs this at every call end (9 buckets recomputed), so it belongs here.
  ['kpi rollupCall at a call end', () => rollupCall(db, recent.id, { siteId: 'site-1', repeatWindowDays: 7 })],
  ['report: day', () => buildReport(db, 'day', now - DAY)],
  ['report: week', () => buildReport(db, 'week', now - 7 * DAY)],
  ['report: month', () => buildReport(db, 'month', now - 31 * DAY)],
];

function time(fn: () => unknown): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

const RUNS = Number(args.runs);
const countAll = () => db.prepare('SELECT count(*) FROM calls').pluck().get();
countAll();
// Baseline runs are interleaved with the queries' runs, so both see the same machine load; each row
// prints as soon as it is measured, with the ratio to the baseline's median so far.
const base: number[] = [];
for (let i = 0; i < 3; i++) base.push(time(countAll));
const pad = (s: string, n: number) => s.padEnd(n);
const num = (x: number) => x.toFixed(x < 10 ? 2 : 0).padStart(8);
console.log(`${pad('query', 40)}  median ms   p95 ms   x count(*)  <= ${GOAL_MS} ms`);
const rows: { name: string; med: number; p: number; runs: number }[] = [];
for (const [name, fn] of cases) {
  if (args.only && !name.includes(args.only)) continue;
  const first = time(fn); // warm-up (statement cache, pages)
  const runs = first > 3000 ? 2 : first > 1000 ? 3 : RUNS;
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    base.push(time(countAll));
    xs.push(time(fn));
  }
  const r = { name, med: median(xs), p: p95(xs), runs };
  rows.push(r);
  console.log(`${pad(r.name, 40)}  ${num(r.med)}  ${num(r.p)}  ${(r.med / median(base)).toFixed(2).padStart(9)}   ${r.p <= GOAL_MS ? 'yes' : 'NO'}${r.runs < RUNS ? ` (${r.runs} runs)` : ''}`);
}
log(`baseline SELECT count(*) FROM calls: median ${median(base).toFixed(1)} ms over ${base.length} runs`);
const over = rows.filter((r) => r.p > GOAL_MS);
log(`${rows.length - over.length}/${rows.length} queries meet p95 <= ${GOAL_MS} ms${over.length ? `; over: ${over.map((r) => r.name).join(', ')}` : ''}`);
log(`load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`);
store.close();
