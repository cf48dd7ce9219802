import type Database from 'better-sqlite3';
import { AlarmsRepo } from './alarms.js';

/**
 * The repositories over the store's connection, one per domain (see docs/architecture.md, "The store
 * boundary"). Built once at open, so each statement is prepared once.
 */
export function createRepos(db: Database.Database) {
  return { alarms: new AlarmsRepo(db) };
}

export type Repos = ReturnType<typeof createRepos>;
export { AlarmsRepo };
