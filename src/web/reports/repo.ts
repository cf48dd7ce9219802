// The reports table: generated reports are kept whole (HTML and CSV) so they read the same later.
import type Database from 'better-sqlite3';
import { buildReport, type Period } from './build.js';
import { renderCsv } from './csv.js';
import { renderHtml } from './html.js';
import type { ReportLang } from './labels.js';

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

const META = 'id, period, start, end, created_at AS createdAt, created_by AS createdBy, lang, summary';
const meta = (r: Record<string, unknown>): ReportMeta => ({ ...(r as unknown as ReportMeta), summary: JSON.parse(String(r.summary)) as ReportMeta['summary'] });

/** Builds a report from the store and keeps it; returns its listing entry. */
export function createReport(db: Database.Database, req: NewReport): ReportMeta {
  const data = buildReport(db, req.period, req.at);
  const lang = req.lang ?? 'en';
  const summary: ReportMeta['summary'] = {
    calls: data.totals.calls.now,
    alarms: data.totals.alarms.now,
    nps: data.nps.now.nps,
    coach: data.coach.length,
    topCategory: data.categories.find((c) => c.calls > 0)?.id ?? null,
  };
  const html = renderHtml(data, { lang, consoleUrl: req.consoleUrl, createdAt: req.now });
  const id = db
    .prepare('INSERT INTO reports (period, start, end, created_at, created_by, lang, summary, html, csv) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(req.period, data.start, data.end, req.now, req.createdBy, lang, JSON.stringify(summary), html, renderCsv(data)).lastInsertRowid;
  return { id: Number(id), period: req.period, start: data.start, end: data.end, createdAt: req.now, createdBy: req.createdBy, lang, summary };
}

export function listReports(db: Database.Database, f: { period?: Period; limit: number }): ReportMeta[] {
  return (db.prepare(`SELECT ${META} FROM reports WHERE (@period IS NULL OR period = @period) ORDER BY start DESC, id DESC LIMIT @limit`).all({ period: f.period ?? null, limit: f.limit }) as Record<string, unknown>[]).map(meta);
}

export function reportBody(db: Database.Database, id: number, format: 'html' | 'csv'): { meta: ReportMeta; body: string } | undefined {
  const r = db.prepare(`SELECT ${META}, ${format === 'html' ? 'html' : 'csv'} AS body FROM reports WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
  return r ? { meta: meta(r), body: String(r.body) } : undefined;
}

export function hasScheduled(db: Database.Database, period: Period, start: number): boolean {
  return db.prepare("SELECT 1 FROM reports WHERE period = ? AND start = ? AND created_by = 'scheduler'").get(period, start) !== undefined;
}
