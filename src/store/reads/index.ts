// Named read tasks the read pool's workers run: pure `(db, args) => result` over a read-only
// connection. Register a repository's heavy query here, then call `store.reads.run(name, args)`
// instead of running it on the event loop. Arguments and results cross a thread boundary
// (structured clone): plain data only.
import type Database from 'better-sqlite3';
import { buildReport, type Period, type ReportData } from '../../web/reports/build.js';

export type ReadTask<A = unknown, R = unknown> = (db: Database.Database, args: A) => R;

export const READS = {
  /** The insight report (day, week or month) as `buildReport` computes it on the loop (~1 s for a busy month). */
  'report.build': ((db, a: { period: Period; at: number }) => buildReport(db, a.period, a.at)) as ReadTask<{ period: Period; at: number }, ReportData>,
} satisfies Record<string, ReadTask<never, unknown>>;

export type ReadName = keyof typeof READS;
