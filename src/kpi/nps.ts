import type Database from 'better-sqlite3';
import { npsSql } from '../store/sql.js';

export { npsClass, type NpsClass } from '../call/nps.js';
const NPS = npsSql('s.score');

export interface NpsReportOptions {
  by: 'agent' | 'queue' | 'site';
  period: 'day' | 'week' | 'month' | 'all';
  /** received_at range, epoch ms; [from, to). */
  from?: number;
  to?: number;
}

export interface NpsReportRow {
  /** Agent id or queue; 'site' for the whole site; '(unknown)' for surveys not tied to a call with one. */
  key: string;
  /** UTC start of the period (weeks start on Monday); 0 for 'all'. */
  periodStart: number;
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** %promoters − %detractors, −100..100; null without NPS responses. */
  nps: number | null;
  csatResponses: number;
  csatAvg: number | null;
}

const DAY = 86_400_000;
const KEY: Record<NpsReportOptions['by'], { days: string; raw: string }> = {
  site: { days: "'site'", raw: "'site'" },
  agent: { days: "COALESCE(NULLIF(agent_id, ''), '(unknown)')", raw: "COALESCE(f.agent_id, '(unknown)')" },
  queue: { days: "COALESCE(NULLIF(queue, ''), '(unknown)')", raw: "COALESCE(f.queue, '(unknown)')" },
};
type DayRow = { day: number; key: string; kind: string; n: number; promoters: number; passives: number; detractors: number; total: number };

/**
 * NPS and CSAT by agent, queue or site and by period, from the surveys table. Whole UTC days come
 * from survey_days (migration 005, kept by triggers), the partial days at either end of the range
 * from the answers themselves: exact for any range, and all-time reads days, not every answer.
 */
export function npsReport(db: Database.Database, opts: NpsReportOptions): NpsReportRow[] {
  const from = opts.from ?? 0;
  const to = opts.to ?? Number.MAX_SAFE_INTEGER;
  const d0 = Math.ceil(from / DAY) * DAY;
  const d1 = Math.floor(to / DAY) * DAY;
  const k = KEY[opts.by];
  const rows: DayRow[] = [];
  const raw = db.prepare(
    `SELECT (s.received_at / ${DAY}) * ${DAY} AS day, ${k.raw} AS key, s.kind, COUNT(*) AS n,
       SUM(${NPS.promoter}) AS promoters, SUM(${NPS.passive}) AS passives, SUM(${NPS.detractor}) AS detractors, TOTAL(s.score) AS total
     FROM surveys s${opts.by === 'site' ? '' : ' LEFT JOIN call_facts f ON f.call_id = s.call_id'}
     WHERE s.kind IN ('nps', 'csat') AND s.received_at >= ? AND s.received_at < ? GROUP BY 1, 2, 3`,
  );
  if (d1 > d0) {
    rows.push(
      ...(db
        .prepare(
          `SELECT day, ${k.days} AS key, kind, SUM(n) AS n, SUM(promoters) AS promoters, SUM(passives) AS passives,
             SUM(detractors) AS detractors, SUM(score_sum) AS total
           FROM survey_days WHERE day >= ? AND day < ? GROUP BY 1, 2, 3`,
        )
        .all(d0, d1) as DayRow[]),
    );
    if (from < d0) rows.push(...(raw.all(from, d0) as DayRow[]));
    if (d1 < to) rows.push(...(raw.all(d1, to) as DayRow[]));
  } else rows.push(...(raw.all(from, to) as DayRow[]));
  const groups = new Map<string, NpsReportRow>();
  for (const r of rows) {
    if (!r.n) continue;
    const periodStart = periodOf(r.day, opts.period);
    const id = `${periodStart}\u0000${r.key}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key: r.key, periodStart, responses: 0, promoters: 0, passives: 0, detractors: 0, nps: null, csatResponses: 0, csatAvg: null }));
    if (r.kind === 'nps') {
      g.responses += r.n;
      g.promoters += r.promoters;
      g.passives += r.passives;
      g.detractors += r.detractors;
    } else {
      g.csatAvg = ((g.csatAvg ?? 0) * g.csatResponses + r.total) / (g.csatResponses + r.n);
      g.csatResponses += r.n;
    }
  }
  for (const g of groups.values()) {
    g.nps = g.responses ? Math.round(((g.promoters - g.detractors) / g.responses) * 1000) / 10 : null;
    if (g.csatAvg !== null) g.csatAvg = Math.round(g.csatAvg * 100) / 100;
  }
  return [...groups.values()].sort((a, b) => a.periodStart - b.periodStart || a.key.localeCompare(b.key));
}

export function periodOf(at: number, period: NpsReportOptions['period']): number {
  if (period === 'all') return 0;
  const d = new Date(at);
  if (period === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (period === 'day') return day;
  return day - ((d.getUTCDay() + 6) % 7) * 86_400_000; // back to Monday
}
