// Rule packs saved from the console (the `rules` table; alarm rule files share it with kind
// 'alarm'), and the stored calls a dry run replays. Statements prepared once, on first use.
import type Database from 'better-sqlite3';
import { LazyStatements, perConnection } from './lazy.js';

export interface StoredPackRow {
  id: string;
  version: number;
  kind: string;
  body: string;
  updatedBy: string | null;
  updatedAt: number;
}

export interface StoredUtteranceRow {
  id: number;
  legId: string;
  role: string;
  seq: number;
  startMs: number;
  endMs: number;
  text: string;
  emotion: string;
  sentiment: number;
}

const PACK_COLS = 'id, version, kind, body, updated_by AS updatedBy, updated_at AS updatedAt';

export class RulePacksRepo {
  static readonly for = perConnection((db) => new RulePacksRepo(db));
  readonly #st: LazyStatements;

  constructor(db: Database.Database) {
    this.#st = new LazyStatements(db);
  }

  /** Analysis packs (kinds category and scorecard), by id. */
  packs(): StoredPackRow[] {
    return this.#st.get(`SELECT ${PACK_COLS} FROM rules WHERE kind IN ('category','scorecard') ORDER BY id`).all() as StoredPackRow[];
  }

  /** Saves `text` as the next version of row `id` (version 1 if new); returns the row. */
  save(p: { id: string; kind: string; text: string; user: string; now: number }): StoredPackRow {
    this.#st
      .get(
        `INSERT INTO rules (id, version, kind, body, updated_by, updated_at) VALUES (@id, 1, @kind, @text, @user, @now)
     ON CONFLICT(id) DO UPDATE SET version = version + 1, kind = excluded.kind, body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      )
      .run(p);
    return this.#st.get(`SELECT ${PACK_COLS} FROM rules WHERE id = ?`).get(p.id) as StoredPackRow;
  }

  /** Calls started since `since`. */
  countCallsSince(since: number): number {
    return this.#st.pluck('SELECT COUNT(*) FROM calls WHERE started_at >= ?').get(since) as number;
  }

  /** Ids of the calls started since `since`, newest first, at most `limit`. */
  callsSince(since: number, limit: number): string[] {
    return this.#st.pluck('SELECT id FROM calls WHERE started_at >= ? ORDER BY started_at DESC LIMIT ?').all(since, limit) as string[];
  }

  /** A call's stored (redacted) utterances in order, as rules see them. */
  utterances(callId: string): StoredUtteranceRow[] {
    return this.#st
      .get('SELECT id, leg_id AS legId, role, seq, start_ms AS startMs, end_ms AS endMs, text, emotion, sentiment FROM utterances WHERE call_id = ? ORDER BY start_ms, id')
      .all(callId) as StoredUtteranceRow[];
  }
}
