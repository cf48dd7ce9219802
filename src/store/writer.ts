import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { errorReason, isPermanent } from './errors.js';
import type { StoreMetrics } from './metrics.js';

/** What a queued write is, for logs and metric labels only (never ids or values). */
export type WriteKind = 'call' | 'call-end' | 'leg' | 'leg-stats' | 'utterance' | 'event' | 'import-progress';

export interface WriteOp {
  kind: WriteKind;
  /** Runs one prepared statement with values bound at enqueue time. */
  run: () => void;
  /** Set when the row was refused as invalid: later retries of its batch skip it. */
  dead?: boolean;
}

export interface WriterOptions {
  /** Rows per transaction; reaching it also commits at once instead of waiting for the tick. */
  maxBatchRows: number;
  /** Queue bound while the disk refuses writes; call and leg rows are never refused (children need them). */
  maxQueueRows: number;
  retryMinMs: number;
  retryMaxMs: number;
}

/**
 * One ordered queue of writes, committed in one transaction per tick. One queue, not one per table,
 * because order is what keeps foreign keys valid: a call row is enqueued before its legs and
 * utterances and so is always written first, in the same or an earlier transaction.
 *
 * A batch that fails for a reason that may pass (disk full, busy, read-only) is rolled back whole by
 * the transaction and stays at the head of the queue; it is retried with backoff. A row that can
 * never be written (unknown call, duplicate) is dropped and counted so it cannot block the rest.
 * Nothing here throws into the caller: hot-path producers must not fail because the disk did.
 */
export class BatchWriter {
  readonly #q: WriteOp[] = [];
  #head = 0;
  #tick: NodeJS.Immediate | undefined;
  #retry: NodeJS.Timeout | undefined;
  #backoffMs: number;
  #failing = false;
  #closed = false;
  #fullWarned = false;
  readonly #commit: (start: number, end: number) => void;

  constructor(
    db: Database.Database,
    private readonly opts: WriterOptions,
    private readonly log: Logger,
    private readonly m: StoreMetrics,
  ) {
    this.#backoffMs = opts.retryMinMs;
    m.queues.add(this);
    this.#commit = db.transaction((start: number, end: number) => {
      for (let i = start; i < end; i++) {
        const op = this.#q[i];
        if (op.dead) continue;
        try {
          op.run();
        } catch (err) {
          // A constraint failure undoes only its own statement; transient errors abort the batch.
          if (!isPermanent(err)) throw err;
          op.dead = true;
          const reason = errorReason(err);
          this.m.droppedRows.inc({ reason });
          this.m.badInput('store', reason);
          this.log.warn({ kind: op.kind, code: (err as { code?: string }).code, reason }, 'store refused a row; dropped');
        }
      }
    });
  }

  get pending(): number {
    return this.#q.length - this.#head;
  }

  /** Queues a write. Returns false (and counts it) when the write was refused: store closed or queue full. */
  enqueue(op: WriteOp, essential = false): boolean {
    if (this.#closed) {
      this.m.droppedRows.inc({ reason: 'closed' });
      return false;
    }
    if (!essential && this.pending >= this.opts.maxQueueRows) {
      this.m.droppedRows.inc({ reason: 'queue-full' });
      if (!this.#fullWarned) this.log.error({ rows: this.pending }, 'store queue full; dropping new rows until writes succeed');
      this.#fullWarned = true;
      return false;
    }
    this.#q.push(op);
    if (this.#failing) return true; // the retry timer owns the next attempt
    if (this.pending >= this.opts.maxBatchRows) this.drain();
    else this.#tick ??= setImmediate(() => {
      this.#tick = undefined;
      this.drain();
    });
    return true;
  }

  /** Commits everything queued now, batch by batch. True when the queue is empty afterwards. */
  drain(): boolean {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    while (this.pending > 0) {
      const start = this.#head;
      const end = Math.min(this.#q.length, start + this.opts.maxBatchRows);
      const stop = this.m.writeSeconds.startTimer();
      try {
        this.#commit(start, end);
      } catch (err) {
        stop();
        this.#failed(err);
        return false;
      }
      stop();
      this.#head = end;
      this.#compact();
      if (this.#failing) this.log.info({ rows: this.pending }, 'store writes succeed again');
      this.#failing = false;
      this.#fullWarned = false;
      this.#backoffMs = this.opts.retryMinMs;
    }
    return true;
  }

  /** Last commit attempt, then refuse further writes. Returns the rows that could not be written. */
  close(): number {
    if (this.#tick) clearImmediate(this.#tick);
    this.#tick = undefined;
    this.drain();
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#closed = true;
    this.m.queues.delete(this);
    const lost = this.pending;
    if (lost) {
      this.m.droppedRows.inc({ reason: 'closed' }, lost);
      this.#q.length = 0;
      this.#head = 0;
      this.log.error({ rows: lost }, 'store closed with writes it could not commit; they are lost');
    }
    return lost;
  }

  #failed(err: unknown): void {
    const reason = errorReason(err);
    this.m.writeErrors.inc({ reason });
    if (!this.#failing) this.log.error({ code: (err as { code?: string }).code, reason, rows: this.pending }, 'store batch failed; kept for retry');
    this.#failing = true;
    const wait = this.#backoffMs;
    this.#backoffMs = Math.min(this.opts.retryMaxMs, this.#backoffMs * 2);
    // unref: a pending retry alone must not keep a finished process (CLI, tests) alive.
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.drain();
    }, wait).unref();
  }

  #compact(): void {
    if (this.#head === this.#q.length) {
      this.#q.length = 0;
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#q.length) {
      this.#q.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
