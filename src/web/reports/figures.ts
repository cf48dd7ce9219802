// Aggregates over a time range, shared by the insight reports and the dashboard panels.
// Everything here is counts, shares and ids of calls/agents/rules: no transcript text, no
// customer hashes, no numbers. Calls belong to the range they started in.
import type Database from 'better-sqlite3';

import { callSums, mean } from './call-sums.js';
import { hybrid } from './emotions.js';
import { CATEGORY_ID_SQL, npsSql } from '../../store/sql.js';
import { npsClass, npsScore } from '../../call/nps.js';

export { EMOTIONS, emotionMap, emotionTotals, hotSpots, type Emotion, type EmotionBucket, type EmotionTotal, type HotSpot } from './emotions.js';

export interface Range {
  from: number;
  to: number;
}

const CATEGORY_ID = CATEGORY_ID_SQL;
const NPS = npsSql();
const NEG_END = "json_extract(c.summary, '$.kpi.sentiment.negativeEnd')";
const CALL_QA = "(SELECT AVG(json_extract(q.value, '$.score')) FROM json_each(c.summary, '$.qa') q)";

export interface Totals {
  calls: number;
  avgDurationMs: number | null;
  negEndShare: number | null;
  alarms: number;
  qaAvg: number | null;
}

export function totals(db: Database.Database, r: Range): Totals {
  const t = callSums(db, r, 'all')[0];
  const alarms = db.prepare('SELECT COUNT(*) FROM alarms WHERE raised_at >= @from AND raised_at < @to').pluck().get(r) as number;
  if (!t) return { calls: 0, avgDurationMs: null, negEndShare: null, qaAvg: null, alarms };
  return { calls: t.calls, avgDurationMs: mean(t.cdur_sum, t.cdur_n), negEndShare: mean(t.neg_sum, t.neg_n), qaAvg: mean(t.qa_sum, t.qa_n), alarms };
}

export interface CategoryCount {
  id: string;
  hits: number;
  calls: number;
}

const HOUR = 3_600_000;
// Raw category hits of the calls started in a range (the partial hours at a range's ends).
const RAW_CATEGORIES = `SELECT ${CATEGORY_ID} AS id, COUNT(*) AS hits, COUNT(DISTINCT e.call_id) AS calls
  FROM calls c CROSS JOIN call_events e INDEXED BY call_events_category ON e.call_id = c.id
  WHERE e.kind = 'category' AND c.started_at >= @from AND c.started_at < @to AND ${CATEGORY_ID} IS NOT NULL GROUP BY 1`;

/** Category hits (call events) of calls started in the range, most calls first. Whole hours from category_hours (migration 005). */
export function categories(db: Database.Database, r: Range): CategoryCount[] {
  const by = new Map<string, CategoryCount>();
  for (const x of hybrid<CategoryCount>(db, r, 'SELECT category AS id, SUM(hits) AS hits, SUM(calls) AS calls FROM category_hours WHERE call_hour >= @from AND call_hour < @to GROUP BY 1', RAW_CATEGORIES)) {
    const g = by.get(x.id);
    if (g) {
      g.hits += x.hits;
      g.calls += x.calls;
    } else by.set(x.id, { ...x });
  }
  return [...by.values()].filter((c) => c.hits > 0).sort((a, b) => b.calls - a.calls || b.hits - a.hits || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Category × bucket (calls with a hit), for the heat map. */
export function categoryHeat(db: Database.Database, r: Range, bucketMs: number): { bucket: number; id: string; calls: number }[] {
  type Cell = { bucket: number; id: string; calls: number };
  const raw = `SELECT CAST(c.started_at / @b AS INTEGER) * @b AS bucket, ${CATEGORY_ID} AS id, COUNT(DISTINCT e.call_id) AS calls
    FROM calls c CROSS JOIN call_events e INDEXED BY call_events_category ON e.call_id = c.id
    WHERE e.kind = 'category' AND c.started_at >= @from AND c.started_at < @to AND ${CATEGORY_ID} IS NOT NULL GROUP BY 1, 2`;
  // A call starts in one hour, so calls per hour add up to calls per bucket of whole hours.
  const rows =
    bucketMs % HOUR === 0
      ? hybrid<Cell>(db, r, 'SELECT CAST(call_hour / @b AS INTEGER) * @b AS bucket, category AS id, SUM(calls) AS calls FROM category_hours WHERE call_hour >= @from AND call_hour < @to GROUP BY 1, 2', raw, { b: bucketMs })
      : (db.prepare(raw).all({ ...r, b: bucketMs }) as Cell[]);
  const by = new Map<string, Cell>();
  for (const x of rows) {
    const k = `${x.bucket}\u0000${x.id}`;
    const g = by.get(k);
    if (g) g.calls += x.calls;
    else by.set(k, { ...x });
  }
  return [...by.values()].filter((c) => c.calls > 0).sort((a, b) => a.bucket - b.bucket || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface NpsFigures {
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  nps: number | null;
  /** Answers per score 0..10. */
  histogram: number[];
}

/** NPS of the answers received in the range. */
export function nps(db: Database.Database, r: Range): NpsFigures {
  const rows = db.prepare("SELECT score, COUNT(*) AS n FROM surveys WHERE kind = 'nps' AND received_at >= @from AND received_at < @to GROUP BY score").all(r) as { score: number; n: number }[];
  const f: NpsFigures = { responses: 0, promoters: 0, passives: 0, detractors: 0, nps: null, histogram: Array(11).fill(0) as number[] };
  for (const { score, n } of rows) {
    if (score < 0 || score > 10) continue;
    f.histogram[score] += n;
    f.responses += n;
    f[`${npsClass(score)}s` as 'promoters' | 'passives' | 'detractors'] += n;
  }
  if (f.responses) f.nps = Math.round(((f.promoters - f.detractors) / f.responses) * 1000) / 10;
  return f;
}

/** NPS per bucket (answers received), for the trend line. */
export function npsTrend(db: Database.Database, r: Range, bucketMs: number): { bucket: number; responses: number; nps: number }[] {
  return db
    .prepare(
      `SELECT CAST(received_at / @b AS INTEGER) * @b AS bucket, COUNT(*) AS responses,
         ROUND(1000.0 * (SUM(${NPS.promoter}) - SUM(${NPS.detractor})) / COUNT(*)) / 10 AS nps
       FROM surveys WHERE kind = 'nps' AND received_at >= @from AND received_at < @to GROUP BY 1 ORDER BY 1`,
    )
    .all({ ...r, b: bucketMs }) as { bucket: number; responses: number; nps: number }[];
}

export interface NpsDriver {
  /** 'category:<id>', 'alarm:<rule>' or 'negative-end'. */
  driver: string;
  responses: number;
  nps: number;
  /** This driver's NPS minus the NPS of all answers tied to calls: negative drags the score down. */
  impact: number;
  detractors: number;
}

/** What the answered calls had in common: NPS of calls with each category / alarm / negative end. */
export function npsDrivers(db: Database.Database, r: Range, minResponses = 2): NpsDriver[] {
  // Three flat reads grouped here (per-answer subqueries with json_group_array DISTINCT cost ~80 µs
  // each); categories through the covering call_events_category index, never the events themselves.
  const answers = db
    .prepare(
      `SELECT s.score, f.call_id AS id, f.neg_end AS negEnd FROM surveys s CROSS JOIN call_facts f ON f.call_id = s.call_id
       WHERE s.kind = 'nps' AND s.received_at >= @from AND s.received_at < @to`,
    )
    .all(r) as { score: number; id: string; negEnd: number | null }[];
  const perCall = (sql: string) => {
    const m = new Map<string, Set<string>>();
    for (const x of db.prepare(sql).all(r) as { id: string; v: string | null }[]) if (x.v) (m.get(x.id) ?? m.set(x.id, new Set()).get(x.id)!).add(x.v);
    return m;
  };
  const cats = perCall(`SELECT DISTINCT e.call_id AS id, ${CATEGORY_ID} AS v FROM surveys s CROSS JOIN call_events e INDEXED BY call_events_category ON e.call_id = s.call_id
    WHERE s.kind = 'nps' AND s.received_at >= @from AND s.received_at < @to AND e.kind = 'category'`);
  const rules = perCall(`SELECT DISTINCT a.call_id AS id, a.rule AS v FROM surveys s CROSS JOIN alarms a ON a.call_id = s.call_id
    WHERE s.kind = 'nps' AND s.received_at >= @from AND s.received_at < @to`);
  if (!answers.length) return [];
  const score = (xs: number[]) => npsScore(xs) ?? 0;
  const overall = score(answers.map((a) => a.score));
  const groups = new Map<string, number[]>();
  const add = (k: string, s: number) => (groups.get(k) ?? groups.set(k, []).get(k)!).push(s);
  for (const a of answers) {
    for (const id of cats.get(a.id) ?? []) add(`category:${id}`, a.score);
    for (const rule of rules.get(a.id) ?? []) add(`alarm:${rule}`, a.score);
    if (a.negEnd === 1) add('negative-end', a.score);
  }
  return [...groups]
    .filter(([, xs]) => xs.length >= minResponses)
    .map(([driver, xs]) => ({ driver, responses: xs.length, nps: score(xs), impact: Math.round((score(xs) - overall) * 10) / 10, detractors: xs.filter((s) => npsClass(s) === 'detractor').length }))
    .sort((a, b) => a.impact - b.impact || b.responses - a.responses);
}

export interface AlarmRuleCount {
  rule: string;
  severity: string;
  count: number;
  open: number;
  acked: number;
  resolved: number;
}

export function alarmsByRule(db: Database.Database, r: Range): AlarmRuleCount[] {
  return db
    .prepare(
      `SELECT rule, CASE MAX(CASE severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) WHEN 2 THEN 'critical' WHEN 1 THEN 'warning' ELSE 'info' END AS severity,
         COUNT(*) AS count, SUM(state = 'open') AS open, SUM(state = 'acked') AS acked, SUM(state = 'resolved') AS resolved
       FROM alarms WHERE raised_at >= @from AND raised_at < @to GROUP BY rule ORDER BY count DESC, rule`,
    )
    .all(r) as AlarmRuleCount[];
}

export interface AgentFigures {
  agentId: string;
  calls: number;
  qaAvg: number | null;
  negEndShare: number | null;
  alarms: number;
}

export function agents(db: Database.Database, r: Range): AgentFigures[] {
  return callSums(db, r, 'agent')
    .filter((a) => a.key !== '')
    .map((a) => ({ agentId: String(a.key), calls: a.calls, qaAvg: mean(a.qa_sum, a.qa_n), negEndShare: mean(a.neg_sum, a.neg_n), alarms: a.alarms }));
}

export interface EvidenceCall {
  callId: string;
  startedAt: number;
  qa: number | null;
  negativeEnd: boolean;
  alarmRules: string[];
  /** Labels of QA items the call failed (from the scorecard, not from the transcript). */
  failedItems: string[];
}

/** An agent's calls that best show what to coach: lowest QA, alarms, negative endings. */
export function evidenceCalls(db: Database.Database, r: Range, agentId: string, limit = 3): EvidenceCall[] {
  const rows = db
    .prepare(
      `SELECT c.id AS callId, c.started_at AS startedAt, ${CALL_QA} AS qa, ${NEG_END} AS negEnd, json_extract(c.summary, '$.qa') AS qaJson,
         (SELECT json_group_array(DISTINCT a.rule) FROM alarms a WHERE a.call_id = c.id) AS rules
       FROM calls c WHERE c.agent_id = @agentId AND c.started_at >= @from AND c.started_at < @to`,
    )
    .all({ ...r, agentId }) as { callId: string; startedAt: number; qa: number | null; negEnd: number | null; qaJson: string | null; rules: string }[];
  const out = rows.map((c): EvidenceCall & { weight: number } => {
    const alarmRules = (JSON.parse(c.rules) as (string | null)[]).filter((x): x is string => !!x);
    const failed = new Set<string>();
    try {
      for (const card of (c.qaJson ? JSON.parse(c.qaJson) : []) as { items?: { label?: unknown; passed?: unknown }[] }[])
        for (const it of card.items ?? []) if (it.passed === false && typeof it.label === 'string') failed.add(it.label);
    } catch {
      // A malformed summary only loses its QA detail here.
    }
    const weight = (100 - (c.qa ?? 100)) + 25 * alarmRules.length + (c.negEnd === 1 ? 25 : 0);
    return { callId: c.callId, startedAt: c.startedAt, qa: c.qa, negativeEnd: c.negEnd === 1, alarmRules, failedItems: [...failed], weight };
  });
  return out
    .filter((c) => c.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.startedAt - b.startedAt)
    .slice(0, limit)
    .map(({ weight: _w, ...c }) => c);
}
