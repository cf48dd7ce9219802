import Database from 'better-sqlite3';

// The reference collector's own file (not an Earshot store: it has no migrations, one table).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS batches (
  batch_id    TEXT PRIMARY KEY,
  site_id     TEXT NOT NULL,
  period_from INTEGER NOT NULL,
  period_to   INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  payload     TEXT NOT NULL          -- canonical JSON as signed by the site
);
CREATE INDEX IF NOT EXISTS batches_site_period ON batches(site_id, period_from);`;

export interface CollectedBatch {
  batchId: string;
  siteId: string;
  from: number;
  to: number;
  receivedAt: number;
  /** Canonical JSON as signed by the site. */
  payload: string;
}

/** The upstream collector's batches table in its own SQLite file (created if missing). */
export class SyncCollectorRepo {
  readonly #db: Database.Database;
  #insert?: Database.Statement;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  static open(path: string): SyncCollectorRepo {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SyncCollectorRepo(db);
  }

  /** True when stored, false when that batch id was already there (its first copy is kept). */
  insert(b: CollectedBatch): boolean {
    this.#insert ??= this.#db.prepare(`INSERT OR IGNORE INTO batches (batch_id, site_id, period_from, period_to, received_at, payload)
                                       VALUES (?, ?, ?, ?, ?, ?)`);
    return this.#insert.run(b.batchId, b.siteId, b.from, b.to, b.receivedAt, b.payload).changes === 1;
  }

  close(): void {
    this.#db.close();
  }
}
