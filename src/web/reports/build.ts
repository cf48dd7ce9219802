// One insight report's figures: this period against the one before it.
import * as fig from './figures.js';
import type { ReportsSource } from './source.js';

export type Period = 'day' | 'week' | 'month';
export const PERIODS: readonly Period[] = ['day', 'week', 'month'];
const DAY = 86_400_000;

/** UTC start of the period holding `at` (weeks start on Monday, as in the KPI rollups). */
export function periodStart(period: Period, at: number): number {
  const d = new Date(at);
  if (period === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return period === 'day' ? day : day - ((d.getUTCDay() + 6) % 7) * DAY;
}

/** Start of the period after the one starting at `start`. */
export function nextStart(period: Period, start: number): number {
  if (period === 'day') return start + DAY;
  if (period === 'week') return start + 7 * DAY;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export function prevStart(period: Period, start: number): number {
  if (period !== 'month') return start - (period === 'day' ? DAY : 7 * DAY);
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
}

export interface Change<T = number | null> {
  now: T;
  prev: T;
}

export interface CategoryRow extends fig.CategoryCount {
  prevCalls: number;
  /** Calls with the category now minus before. */
  delta: number;
}

export interface CoachRow extends fig.AgentFigures {
  reasons: ('low-qa' | 'negative-endings' | 'alarms')[];
  evidence: fig.EvidenceCall[];
}

export interface ReportData {
  period: Period;
  start: number;
  end: number;
  prevStart: number;
  totals: { [K in keyof fig.Totals]: Change<fig.Totals[K]> };
  categories: CategoryRow[];
  hotSpots: ReturnType<typeof fig.hotSpots>;
  /** Bucket size of hotSpots.times: hours for a day, days otherwise. */
  hotSpotBucketMs: number;
  nps: Change<fig.NpsFigures>;
  drivers: fig.NpsDriver[];
  alarms: (fig.AlarmRuleCount & { prevCount: number })[];
  coach: CoachRow[];
  /** Conversations per channel (voice, chat, ...), with the period before's count. */
  channels: (fig.ChannelShare & { prevCalls: number })[];
}

/** Thresholds for "agents to coach": documented in the report itself. */
export const COACH = { qaBelow: 70, negEndShareAtLeast: 0.4, alarmsPerCallAtLeast: 0.5, max: 5 };

export function buildReport(db: ReportsSource, period: Period, at: number): ReportData {
  const start = periodStart(period, at);
  const end = nextStart(period, start);
  const prev = prevStart(period, start);
  const cur = { from: start, to: end };
  const before = { from: prev, to: start };

  const tNow = fig.totals(db, cur);
  const tPrev = fig.totals(db, before);
  const totals = Object.fromEntries(Object.keys(tNow).map((k) => [k, { now: tNow[k as keyof fig.Totals], prev: tPrev[k as keyof fig.Totals] }])) as ReportData['totals'];

  const prevCats = new Map(fig.categories(db, before).map((c) => [c.id, c.calls]));
  const categories = fig.categories(db, cur).map((c) => ({ ...c, prevCalls: prevCats.get(c.id) ?? 0, delta: c.calls - (prevCats.get(c.id) ?? 0) }));
  // Categories that vanished are news too.
  for (const [id, calls] of prevCats) if (!categories.some((c) => c.id === id)) categories.push({ id, hits: 0, calls: 0, prevCalls: calls, delta: -calls });

  const prevAlarms = new Map(fig.alarmsByRule(db, before).map((a) => [a.rule, a.count]));
  const alarms = fig.alarmsByRule(db, cur).map((a) => ({ ...a, prevCount: prevAlarms.get(a.rule) ?? 0 }));

  const flagged: Omit<CoachRow, 'evidence'>[] = [];
  for (const a of fig.agents(db, cur)) {
    const reasons: CoachRow['reasons'] = [];
    if (a.qaAvg !== null && a.qaAvg < COACH.qaBelow) reasons.push('low-qa');
    if (a.negEndShare !== null && a.negEndShare >= COACH.negEndShareAtLeast) reasons.push('negative-endings');
    if (a.alarms / a.calls >= COACH.alarmsPerCallAtLeast) reasons.push('alarms');
    if (reasons.length) flagged.push({ ...a, reasons });
  }
  flagged.sort((a, b) => b.reasons.length - a.reasons.length || (a.qaAvg ?? 100) - (b.qaAvg ?? 100) || a.agentId.localeCompare(b.agentId));
  // Evidence (each call's summary read) only for the agents the report lists.
  const coach: CoachRow[] = flagged.slice(0, COACH.max).map((a) => ({ ...a, evidence: fig.evidenceCalls(db, cur, a.agentId) }));

  const prevChannels = new Map(fig.channelMix(db, before).map((c) => [c.channel, c.calls]));
  const channels = fig.channelMix(db, cur).map((c) => ({ ...c, prevCalls: prevChannels.get(c.channel) ?? 0 }));
  for (const [channel, calls] of prevChannels) if (!channels.some((c) => c.channel === channel)) channels.push({ channel, calls: 0, share: 0, responses: 0, nps: null, prevCalls: calls });

  const hotSpotBucketMs = period === 'day' ? 3_600_000 : DAY;
  return {
    period,
    start,
    end,
    prevStart: prev,
    totals,
    categories: categories.slice(0, 15),
    hotSpots: fig.hotSpots(db, cur, hotSpotBucketMs),
    hotSpotBucketMs,
    nps: { now: fig.nps(db, cur), prev: fig.nps(db, before) },
    drivers: fig.npsDrivers(db, cur).slice(0, 8),
    alarms,
    coach,
    channels,
  };
}
