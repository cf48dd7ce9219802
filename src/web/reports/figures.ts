// Aggregates over a time range, shared by the insight reports and the dashboard panels.
// Everything here is counts, shares and ids of calls/agents/rules: no transcript text, no
// customer hashes, no numbers. Calls belong to the range they started in. The reads are the
// reports repository's (src/store/repos/reports.ts); here they are merged and ranked.
import { callSums, mean } from './call-sums.js';
import { reportsOf, type ReportsSource } from './source.js';
import { npsClass, npsOf, npsScore } from '../../call/nps.js';

export { EMOTIONS, emotionMap, emotionTotals, hotSpots, type Emotion, type EmotionBucket, type EmotionTotal, type HotSpot } from './emotions.js';

export interface Range {
  from: number;
  to: number;
}


export interface Totals {
  calls: number;
  avgDurationMs: number | null;
  negEndShare: number | null;
  alarms: number;
  qaAvg: number | null;
}

export function totals(src: ReportsSource, r: Range): Totals {
  const t = callSums(src, r, 'all')[0];
  const alarms = reportsOf(src).alarmCount(r);
  if (!t) return { calls: 0, avgDurationMs: null, negEndShare: null, qaAvg: null, alarms };
  return { calls: t.calls, avgDurationMs: mean(t.cdur_sum, t.cdur_n), negEndShare: mean(t.neg_sum, t.neg_n), qaAvg: mean(t.qa_sum, t.qa_n), alarms };
}

export interface CategoryCount {
  id: string;
  hits: number;
  calls: number;
}

/** Category hits (call events) of calls started in the range, most calls first. Whole hours from category_hours (migration 005). */
export function categories(src: ReportsSource, r: Range): CategoryCount[] {
  const by = new Map<string, CategoryCount>();
  for (const x of reportsOf(src).categories(r)) {
    const g = by.get(x.id);
    if (g) {
      g.hits += x.hits;
      g.calls += x.calls;
    } else by.set(x.id, { ...x });
  }
  return [...by.values()].filter((c) => c.hits > 0).sort((a, b) => b.calls - a.calls || b.hits - a.hits || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Category × bucket (calls with a hit), for the heat map. */
export function categoryHeat(src: ReportsSource, r: Range, bucketMs: number, channel?: string): { bucket: number; id: string; calls: number }[] {
  type Cell = { bucket: number; id: string; calls: number };
  const rows = reportsOf(src).categoryHeat(r, bucketMs, channel);
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

/** NPS of the answers received in the range (tied to one channel's contacts if given). */
export function nps(src: ReportsSource, r: Range, channel?: string): NpsFigures {
  const rows = reportsOf(src).npsScores(r, channel);
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
export function npsTrend(src: ReportsSource, r: Range, bucketMs: number, channel?: string): { bucket: number; responses: number; nps: number }[] {
  return reportsOf(src).npsTrend(r, bucketMs, channel);
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
export function npsDrivers(src: ReportsSource, r: Range, minResponses = 2, channel?: string): NpsDriver[] {
  const { answers, categories: catRows, rules: ruleRows } = reportsOf(src).npsAnswers(r, channel);
  const perCall = (rows: { id: string; v: string | null }[]) => {
    const m = new Map<string, Set<string>>();
    for (const x of rows) if (x.v) (m.get(x.id) ?? m.set(x.id, new Set()).get(x.id)!).add(x.v);
    return m;
  };
  const cats = perCall(catRows);
  const rules = perCall(ruleRows);
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

export function alarmsByRule(src: ReportsSource, r: Range, channel?: string): AlarmRuleCount[] {
  return reportsOf(src).alarmsByRule(r, channel);
}

export interface AgentFigures {
  agentId: string;
  calls: number;
  qaAvg: number | null;
  negEndShare: number | null;
  alarms: number;
}

export function agents(src: ReportsSource, r: Range, channel?: string): AgentFigures[] {
  return callSums(src, r, 'agent', channel)
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
export function evidenceCalls(src: ReportsSource, r: Range, agentId: string, limit = 3): EvidenceCall[] {
  const rows = reportsOf(src).agentCalls(r, agentId);
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

export interface ChannelShare {
  /** voice | chat | wechat | app | email | sms. */
  channel: string;
  calls: number;
  /** Of all conversations started in the range. */
  share: number;
  /** NPS answers received in the range tied to this channel's contacts, and their NPS (null: none). */
  responses: number;
  nps: number | null;
}

/** Conversations started in the range per channel, most first (the reports' channel mix). */
export function channelMix(src: ReportsSource, r: Range): ChannelShare[] {
  const rows = reportsOf(src).channelMix(r);
  const nps = new Map(reportsOf(src).npsByChannel(r).map((g) => [g.channel, g]));
  const all = rows.reduce((n, x) => n + x.calls, 0);
  return rows.map((x) => {
    const g = nps.get(x.channel);
    return { channel: x.channel, calls: x.calls, share: all ? x.calls / all : 0, responses: g?.responses ?? 0, nps: g ? npsOf(g.promoters, g.detractors, g.responses) : null };
  });
}
