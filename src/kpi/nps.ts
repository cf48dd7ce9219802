import { npsOf } from '../call/nps.js';
import type { Channel } from '../call/types.js';
import type { NpsBy, NpsDayRow } from '../store/repos/surveys.js';
import { surveysOf, type SurveysSource } from './surveys.js';
import type { Store } from '../store/types.js';

export { npsClass, type NpsClass } from '../call/nps.js';

export interface NpsReportOptions {
  /** channel: the channel of the answer's call (voice, chat, …). */
  by: NpsBy;
  period: 'day' | 'week' | 'month' | 'all';
  /** received_at range, epoch ms; [from, to). */
  from?: number;
  to?: number;
  /** Only answers whose call is on this channel. */
  channel?: Channel;
}

export interface NpsReportRow {
  /** Agent id, queue or channel; 'site' for the whole site; '(unknown)' for surveys not tied to a call with one. */
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

/**
 * NPS and CSAT by agent, queue, channel or site and by period, of every channel or of one, from the
 * day groups of the survey answers (SurveysRepo.npsDays: exact for any range).
 */
export function npsReport(src: SurveysSource, opts: NpsReportOptions): NpsReportRow[] {
  return npsGroups(surveysOf(src).npsDays(opts.by, opts.from ?? 0, opts.to ?? Number.MAX_SAFE_INTEGER, opts.channel), opts.period);
}

/** npsReport with the read off the event loop when the store has a read pool (the API's path). */
export async function npsReportOffLoop(store: Pick<Store, 'repos' | 'reads'>, opts: NpsReportOptions): Promise<NpsReportRow[]> {
  if (!store.reads) return npsReport(store.repos.surveys, opts);
  const rows = await store.reads.run('kpi.npsDays', { by: opts.by, from: opts.from ?? 0, to: opts.to ?? Number.MAX_SAFE_INTEGER, ...(opts.channel ? { channel: opts.channel } : {}) });
  return npsGroups(rows, opts.period);
}

function npsGroups(rows: readonly NpsDayRow[], period: NpsReportOptions['period']): NpsReportRow[] {
  const groups = new Map<string, NpsReportRow>();
  for (const r of rows) {
    if (!r.n) continue;
    const periodStart = periodOf(r.day, period);
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
    g.nps = npsOf(g.promoters, g.detractors, g.responses);
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
