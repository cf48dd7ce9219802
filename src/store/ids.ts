import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

export type IdTable = 'utterances' | 'call_events';

/**
 * Hands out ids for rows that are queued but not yet written, so `addUtterance` can return the id at
 * once. Ids come from blocks reserved in `id_blocks` with a short write transaction, so several
 * processes sharing the database never collide, and deleted rows (retention) are never reused.
 *
 * If a reservation fails (disk full, read-only, busy) ids keep counting locally past the block: the
 * rows wait in the writer's queue anyway, and the next successful reservation starts after every id
 * used meanwhile. Only another process writing during that outage could collide; its rows would be
 * refused as duplicates and counted, never half-written.
 */
export class IdBlocks {
  #next: number;
  #end = 0; // exclusive end of the current block; 0 = none yet
  readonly #reserve: (localNext: number) => number;

  constructor(
    db: Database.Database,
    table: IdTable,
    private readonly size: number,
    private readonly log: Logger,
  ) {
    const maxId = db.prepare(`SELECT COALESCE(MAX(id), 0) + 1 FROM ${table}`).pluck();
    const current = db.prepare('SELECT next FROM id_blocks WHERE tbl = ?').pluck();
    const save = db.prepare('INSERT INTO id_blocks (tbl, next) VALUES (?, ?) ON CONFLICT(tbl) DO UPDATE SET next = excluded.next');
    this.#next = maxId.get() as number;
    const tx = db.transaction((localNext: number) => {
      const start = Math.max((current.get(table) as number | undefined) ?? 1, maxId.get() as number, localNext);
      save.run(table, start + this.size);
      return start;
    });
    // IMMEDIATE: take the write lock before reading the counter, so two processes cannot both read it.
    this.#reserve = (localNext) => tx.immediate(localNext);
  }

  /** The id the next row will get; `take()` it once the row is accepted. */
  peek(): number {
    if (this.#next >= this.#end) this.#refill();
    return this.#next;
  }

  take(): number {
    const id = this.peek();
    this.#next++;
    return id;
  }

  #refill(): void {
    try {
      this.#next = this.#reserve(this.#next);
    } catch (err) {
      this.log.warn({ code: (err as { code?: string }).code }, 'could not reserve ids; counting on locally until writes succeed');
    }
    this.#end = this.#next + this.size;
  }
}
