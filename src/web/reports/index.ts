// Insight reports: figures (figures.ts), one report (build.ts), HTML/CSV (html.ts, csv.ts),
// storage (repo.ts) and the schedule (scheduler.ts).
export { createReportScheduler, type ReportScheduler, type ReportSchedulerDeps } from './scheduler.js';
export { createReport, createReportOffLoop, listReports, reportBody, type ReportMeta } from './repo.js';
export { buildReport, periodStart, nextStart, prevStart, PERIODS, type Period, type ReportData } from './build.js';
export type { ReportLang } from './labels.js';
