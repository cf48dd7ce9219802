import type Database from 'better-sqlite3';

/** The sync stage's reads of the call tables. Statements prepared once; its outbox and aggregate move here next. */
export class SyncRepo {
  readonly #firstEnded: Database.Statement;

  constructor(db: Database.Database) {
    // Bounded on started_at so the calls_started index serves it (a call ends after it starts).
    this.#firstEnded = db.prepare(`SELECT min(ended_at) FROM calls WHERE started_at >= ? AND state <> 'active' AND ended_at >= ?`).pluck();
  }

  /** The first end time at or after `since` of a finished call (looking two days further back at starts); null for none. */
  firstEndedSince(since: number): number | null {
    return this.#firstEnded.get(since - 2 * 86_400_000, since) as number | null;
  }
}
