import type Database from 'better-sqlite3';
import { perConnection } from './lazy.js';

// The `outbox` table is shared with webhooks; sync owns the rows with topic 'sync'.
export const SYNC_TOPIC = 'sync';

/** The sync stage's rows of the outbox table. Statements prepared once per connection. */
export class SyncOutboxRepo {
  readonly #insert: Database.Statement;
  readonly #cursor: Database.Statement;
  readonly #due: Database.Statement;
  readonly #stored: Database.Statement;
  readonly #delivered: Database.Statement;
  readonly #failed: Database.Statement;
  readonly #state: Database.Statement;

  /** The repository of a connection (the store's, or a worker's read-only one), made once. */
  static readonly for = perConnection((db) => new SyncOutboxRepo(db));

  constructor(db: Database.Database) {
    const TOPIC = SYNC_TOPIC;
    this.#insert = db.prepare(`INSERT OR IGNORE INTO outbox (topic, destination, idem_key, payload, created_at, next_at)
                               VALUES ('${TOPIC}', ?, ?, ?, ?, ?)`);
    this.#cursor = db.prepare(`SELECT max(json_extract(payload, '$.period.to')) AS t FROM outbox WHERE topic = '${TOPIC}'`);
    this.#due = db.prepare(`SELECT id, idem_key AS key, payload, attempts FROM outbox
                            WHERE topic = '${TOPIC}' AND delivered_at IS NULL AND next_at <= ? ORDER BY id LIMIT ?`);
    this.#stored = db.prepare(`SELECT payload FROM outbox WHERE idem_key = ?`);
    this.#delivered = db.prepare(`UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`);
    this.#failed = db.prepare(`UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?`);
    this.#state = db.prepare(`SELECT
        (SELECT count(*) FROM outbox WHERE topic = '${TOPIC}' AND delivered_at IS NULL) AS pending,
        (SELECT max(json_extract(payload, '$.period.to')) FROM outbox WHERE topic = '${TOPIC}' AND delivered_at IS NOT NULL) AS lastTo,
        (SELECT min(created_at) FROM outbox WHERE topic = '${TOPIC}' AND delivered_at IS NULL) AS oldest`);
  }

  /** True when the row was added (false: that idempotency key was already queued). */
  insert(destination: string, key: string, payload: string, now: number): boolean {
    return this.#insert.run(destination, key, payload, now, now).changes === 1;
  }

  cursor(): number | null {
    return (this.#cursor.get() as { t: number | null }).t;
  }

  due(now: number, limit: number): { id: number; key: string; payload: string; attempts: number }[] {
    return this.#due.all(now, limit) as { id: number; key: string; payload: string; attempts: number }[];
  }

  stored(key: string): string | undefined {
    return (this.#stored.get(key) as { payload: string } | undefined)?.payload;
  }

  delivered(id: number, now: number): void {
    this.#delivered.run(now, id);
  }

  failed(id: number, attempts: number, nextAt: number, error: string): void {
    this.#failed.run(attempts, nextAt, error, id);
  }

  state(): { pending: number; lastTo: number | null; oldest: number | null } {
    return this.#state.get() as { pending: number; lastTo: number | null; oldest: number | null };
  }
}
