import type Database from 'better-sqlite3';

/** A webhook row of the `outbox` table as the alarm stage delivers it. */
export interface WebhookOutboxRow {
  id: number;
  destination: string;
  idem_key: string;
  payload: string;
  attempts: number;
}

/** `next_at` of a row that is no longer tried (kept, with last_error, for the operator). */
export const OUTBOX_GAVE_UP = Number.MAX_SAFE_INTEGER;

/** The alarm stage's webhook rows of `outbox` (topic 'webhook'). Statements prepared once. */
export class WebhookOutboxRepo {
  readonly #insert: Database.Statement;
  readonly #due: Database.Statement;
  readonly #depth: Database.Statement;
  readonly #delivered: Database.Statement;
  readonly #failed: Database.Statement;

  constructor(db: Database.Database) {
    // The unique idempotency key makes enqueueing the same alarm/event/destination a no-op.
    this.#insert = db.prepare(
      `INSERT INTO outbox (topic, destination, idem_key, payload, created_at, next_at) VALUES ('webhook', ?, ?, ?, ?, ?)
       ON CONFLICT(idem_key) DO NOTHING`,
    );
    this.#due = db.prepare(
      `SELECT id, destination, idem_key, payload, attempts FROM outbox
       WHERE topic = 'webhook' AND delivered_at IS NULL AND next_at <= ? ORDER BY id LIMIT ?`,
    );
    this.#depth = db.prepare("SELECT COUNT(*) FROM outbox WHERE topic = 'webhook' AND delivered_at IS NULL AND next_at < ?").pluck();
    this.#delivered = db.prepare('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?');
    this.#failed = db.prepare('UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?');
  }

  /** 1 when added, 0 when the key was already there. `sendAt`: not tried before then (quiet hours). */
  insert(destination: string, key: string, payload: string, at: number, sendAt = at): number {
    return this.#insert.run(destination, key, payload, at, sendAt).changes;
  }

  due(at: number, limit: number): WebhookOutboxRow[] {
    return this.#due.all(at, limit) as WebhookOutboxRow[];
  }

  /** Undelivered rows still being tried. */
  depth(): number {
    return this.#depth.get(OUTBOX_GAVE_UP) as number;
  }

  delivered(id: number, at: number): void {
    this.#delivered.run(at, id);
  }

  failed(id: number, attempts: number, nextAt: number, error: string): void {
    this.#failed.run(attempts, nextAt, error, id);
  }
}
