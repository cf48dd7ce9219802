import type Database from 'better-sqlite3';
import type { SyncBatch } from './payload.js';
import { SYNC_TOPIC, SyncOutboxRepo } from '../store/repos/sync-outbox.js';

// Sync's rows of the shared `outbox` table (SQL in src/store/repos/sync-outbox.ts). A row is the
// canonical JSON of one batch, kept until delivered; retention removes delivered rows after 7 days.

export const TOPIC = SYNC_TOPIC;
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

/** The store's `repos.syncOutbox`, or a connection to take it from (tests). */
export function syncOutbox(src: SyncOutboxRepo | Database.Database): SyncOutbox {
  const repo = src instanceof SyncOutboxRepo ? src : SyncOutboxRepo.for(src);
  const key = (batchId: string) => `${TOPIC}:${batchId}`;

  return {
    enqueue(built, destination, now) {
      return repo.insert(destination, key(built.batch.batchId), built.text, now);
    },
    cursor() {
      return repo.cursor() ?? undefined;
    },
    due(now, limit) {
      return repo.due(now, limit).map((r) => ({
        id: r.id,
        batchId: r.key.slice(TOPIC.length + 1),
        payload: r.payload,
        attempts: r.attempts,
      }));
    },
    stored(batchId) {
      return repo.stored(key(batchId));
    },
    delivered(id, now) {
      repo.delivered(id, now);
    },
    failed(id, attempts, error, now, random = Math.random) {
      repo.failed(id, attempts, now + backoffMs(attempts, random), error.slice(0, 200));
    },
    state() {
      const r = repo.state();
      return { pending: r.pending, lastDeliveredTo: r.lastTo ?? undefined, oldestPendingAt: r.oldest ?? undefined };
    },
  };
}

/** Exponential from 10 s, capped at one hour, with ±25% jitter so many sites do not retry in step. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.75 + 0.5 * random()));
}
