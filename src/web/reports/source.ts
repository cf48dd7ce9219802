import type Database from 'better-sqlite3';
import { ReportsRepo } from '../../store/repos/reports.js';

/** The reports repository, or a connection to take it from (a read worker's, tests, benches). */
export type ReportsSource = ReportsRepo | Database.Database;
export const reportsOf = (src: ReportsSource): ReportsRepo => (src instanceof ReportsRepo ? src : ReportsRepo.for(src));
