// The console's heavy reads as read-pool tasks (src/store/read-pool.ts): a report's figures (~1 s
// for a busy month) and the dashboard's insight panels, computed in a worker thread on a read-only
// connection instead of the loop that carries RTP and SIP. The composition root registers this
// module (`stageTasks`); callers read on the loop when the store's pool does not serve it.
import type Database from 'better-sqlite3';
import type { ReadPool } from '../../store/read-pool.js';
import { ReportsRepo } from '../../store/repos/reports.js';
import { buildReport, type Period, type ReportData } from './build.js';
import { insightPanels, type InsightArgs, type InsightPanels } from './insights.js';

/** This module, for `stageTasks` and `ReadPool.serves`. */
export const REPORT_READS = new URL(import.meta.url);

export const READS = {
  'report.build': (db: Database.Database, a: { period: Period; at: number }): ReportData => buildReport(db, a.period, a.at),
  'insights.panels': (db: Database.Database, a: InsightArgs): InsightPanels => insightPanels(ReportsRepo.for(db), a),
};

/** The pool when it serves these tasks, else undefined (read on the loop). */
export const reportPool = (store: { reads?: ReadPool }): ReadPool | undefined => (store.reads?.serves(REPORT_READS) ? store.reads : undefined);
export const poolReport = (reads: ReadPool, a: { period: Period; at: number }) => reads.runNamed('report.build', a) as Promise<ReportData>;
export const poolInsights = (reads: ReadPool, a: InsightArgs) => reads.runNamed('insights.panels', a) as Promise<InsightPanels>;
