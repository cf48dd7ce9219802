import type Database from 'better-sqlite3';
import type { SyncBatch } from './payload.js';

// The `outbox` table is shared with webhooks; sync owns the rows with topic 'sync'. A row is the
// canonical JSON of one batch, kept until delivered; retention removes delivered rows after 7 days.

export const TOPIC = 'sync';
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 3_600_000;

export interface PendingRow {
  id: number;
  batchId: string;
  payload: string;
  attempts: number;
}

export interface OutboxState {
  pending: number;
  /** End of the newest delivered period (epoch ms), if any. */
  lastDeliveredTo?: number;
  /** created_at of the oldest undelivered row, if any. */
  oldestPendingAt?: number;
}

export interface SyncOutbox {
  /** Queues a batch (its canonical JSON); false when this period was already queued (same idempotency key). */
  enqueue(built: { batch: SyncBatch; text: string }, destination: string, now: number): boolean;
  /** End of the newest period ever queued: the next period starts there. */
  cursor(): number | undefined;
  due(now: number, limit: number): PendingRow[];
  /** The stored payload of a period's batch, if queued: exactly what is (or was) sent. */
  stored(batchId: string): string | undefined;
  delivered(id: number, now: number): void;
  failed(id: number, attempts: number, error: string, now: number, random?: () => number): void;
  state(): OutboxState;
}

export function syncOutbox(db: Database.Database): SyncOutbox {
  const insert = db.prepare(`INSERT OR IGNORE INTO outbox (topic, destination, idem_key, payload, created_at, next_at)
                             VALUES ('${TOPIC}', ?, ?, ?, ?, ?)`);
  const cursor = db.prepare(`SELECT max(json_extract(payload, '$.period.to')) AS t FROM outbox WHERE topic = '${TOPIC}'`);
  const due = db.prepare(`SELECT id, idem_key AS key, payload, attempts FROM outbox
                          WHERE topic = '${TOPIC}' AND delivered_at IS NULL AND next_at <= ? ORDER BY id LIMIT ?`);
  const stored = db.prepare(`SELECT payload FROM outbox WHERE idem_key = ?`);
  const delivered = db.prepare(`UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`);
  const failed = db.prepare(`UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?`);
  const state = db.prepare(`SELECT
      (SELECT count(*) FROM outbox WHERE topic = '${TOPIC}' AND delivered_at IS NULL) AS pending,
      (SELECT max(json_extract(payload, '$.period.to')) FROM outbox WHERE topic = '${TOPIC}' AND delivered_at IS NOT NULL) AS lastTo,
      (SELECT min(created_at) FROM outbox WHERE topic = '${TOPIC}' AND delivered_at IS NULL) AS oldest`);
  const key = (batchId: string) => `${TOPIC}:${batchId}`;

  return {
    enqueue(built, destination, now) {
      return insert.run(destination, key(built.batch.batchId), built.text, now, now).changes === 1;
    },
    cursor() {
      const t = (cursor.get() as { t: number | null }).t;
      return t ?? undefined;
    },
    due(now, limit) {
      return (due.all(now, limit) as { id: number; key: string; payload: string; attempts: number }[]).map((r) => ({
        id: r.id,
        batchId: r.key.slice(TOPIC.length + 1),
        payload: r.payload,
        attempts: r.attempts,
      }));
    },
    stored(batchId) {
      return (stored.get(key(batchId)) as { payload: string } | undefined)?.payload;
    },
    delivered(id, now) {
      delivered.run(now, id);
    },
    failed(id, attempts, error, now, random = Math.random) {
      failed.run(attempts, now + backoffMs(attempts, random), error.slice(0, 200), id);
    },
    state() {
      const r = state.get() as { pending: number; lastTo: number | null; oldest: number | null };
      return { pending: r.pending, lastDeliveredTo: r.lastTo ?? undefined, oldestPendingAt: r.oldest ?? undefined };
    },
  };
}

/** Exponential from 10 s, capped at one hour, with ±25% jitter so many sites do not retry in step. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.75 + 0.5 * random()));
}
