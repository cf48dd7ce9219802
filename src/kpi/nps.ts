import type Database from 'better-sqlite3';

export type NpsClass = 'promoter' | 'passive' | 'detractor';

/** 9–10 promoter, 7–8 passive, 0–6 detractor (the standard NPS bands). */
export function npsClass(score: number): NpsClass {
  return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
}

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

/** NPS and CSAT by agent, queue or site and by period, from the surveys table. */
export function npsReport(db: Database.Database, opts: NpsReportOptions): NpsReportRow[] {
  const rows = db
    .prepare(
      `SELECT s.kind, s.score, s.received_at AS at, c.agent_id AS agent, c.queue AS queue
       FROM surveys s LEFT JOIN calls c ON c.id = s.call_id
       WHERE s.received_at >= ? AND s.received_at < ?`,
    )
    .all(opts.from ?? 0, opts.to ?? Number.MAX_SAFE_INTEGER) as { kind: 'nps' | 'csat'; score: number; at: number; agent: string | null; queue: string | null }[];
  const groups = new Map<string, NpsReportRow>();
  for (const r of rows) {
    const key = opts.by === 'site' ? 'site' : ((opts.by === 'agent' ? r.agent : r.queue) ?? '(unknown)');
    const periodStart = periodOf(r.at, opts.period);
    const id = `${periodStart}\u0000${key}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, periodStart, responses: 0, promoters: 0, passives: 0, detractors: 0, nps: null, csatResponses: 0, csatAvg: null }));
    if (r.kind === 'nps') {
      g.responses++;
      g[`${npsClass(r.score)}s` as 'promoters' | 'passives' | 'detractors']++;
    } else {
      g.csatAvg = ((g.csatAvg ?? 0) * g.csatResponses + r.score) / (g.csatResponses + 1);
      g.csatResponses++;
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
