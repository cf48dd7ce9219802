// Generated reports are kept whole (HTML and CSV) so they read the same later; the reports table
// is the reports repository's (src/store/repos/reports.ts).
import { buildReport, type Period, type ReportData } from './build.js';
import { renderCsv } from './csv.js';
import { poolReport, reportPool } from './reads.js';
import { renderHtml } from './html.js';
import type { ReportLang } from './labels.js';
import { reportsOf, type ReportsSource } from './source.js';
import type { ReadPool } from '../../store/read-pool.js';
import type { ReportsRepo, StoredReport } from '../../store/repos/reports.js';

export interface ReportMeta {
  id: number;
  period: Period;
  start: number;
  end: number;
  createdAt: number;
  createdBy: string;
  lang: ReportLang;
  /** Headline figures for the console's list. */
  summary: { calls: number; alarms: number; nps: number | null; coach: number; topCategory: string | null };
}

export interface NewReport {
  period: Period;
  /** Any time inside the period (aligned to its UTC start). */
  at: number;
  createdBy: string;
  lang?: ReportLang;
  now: number;
  consoleUrl?: string;
}

const meta = (r: StoredReport): ReportMeta => ({ ...(r as unknown as ReportMeta), summary: JSON.parse(r.summary) as ReportMeta['summary'] });

/** Builds a report from the store and keeps it; returns its listing entry. */
export function createReport(src: ReportsSource, req: NewReport): ReportMeta {
  return keepReport(src, buildReport(src, req.period, req.at), req);
}

/**
 * The same, with the figures read in the store's read pool when it has one (`serve`): a month
 * report's reads take ~1 s on a busy site, off the loop that carries RTP and SIP. The rendering and
 * the one insert stay here.
 */
export async function createReportOffLoop(store: { repos: { reports: ReportsRepo }; reads?: ReadPool }, req: NewReport): Promise<ReportMeta> {
  const pool = reportPool(store);
  const data = pool ? await poolReport(pool, { period: req.period, at: req.at }) : buildReport(store.repos.reports, req.period, req.at);
  return keepReport(store.repos.reports, data, req);
}

function keepReport(src: ReportsSource, data: ReportData, req: NewReport): ReportMeta {
  const lang = req.lang ?? 'en';
  const summary: ReportMeta['summary'] = {
    calls: data.totals.calls.now,
    alarms: data.totals.alarms.now,
    nps: data.nps.now.nps,
    coach: data.coach.length,
    topCategory: data.categories.find((c) => c.calls > 0)?.id ?? null,
  };
  const html = renderHtml(data, { lang, consoleUrl: req.consoleUrl, createdAt: req.now });
  const id = reportsOf(src).insert({ period: req.period, start: data.start, end: data.end, createdAt: req.now, createdBy: req.createdBy, lang, summary: JSON.stringify(summary), html, csv: renderCsv(data) });
  return { id, period: req.period, start: data.start, end: data.end, createdAt: req.now, createdBy: req.createdBy, lang, summary };
}

export function listReports(src: ReportsSource, f: { period?: Period; limit: number }): ReportMeta[] {
  return reportsOf(src).list(f).map(meta);
}

export function reportBody(src: ReportsSource, id: number, format: 'html' | 'csv'): { meta: ReportMeta; body: string } | undefined {
  const r = reportsOf(src).body(id, format);
  return r ? { meta: meta(r), body: String(r.body) } : undefined;
}

export function hasScheduled(src: ReportsSource, period: Period, start: number): boolean {
  return reportsOf(src).hasScheduled(period, start);
}
