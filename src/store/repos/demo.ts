import type Database from 'better-sqlite3';

export type DemoTable = 'calls' | 'surveys' | 'alarms' | 'cases' | 'survey_requests';

/** The demo back-fill's bookkeeping: which rows it created, so a purge removes exactly those. */
export class DemoRepo {
  readonly #mark: Database.Statement;
  readonly #has: Database.Statement;
  readonly #count: Database.Statement;
  readonly #callBuckets: Database.Statement;
  readonly #deletes: Database.Statement[];
  readonly #auditOfCases: Database.Statement;
  readonly #clear: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.#mark = db.prepare('INSERT OR IGNORE INTO demo_rows (tbl, row_id) VALUES (?, ?)');
    this.#has = db.prepare('SELECT 1 FROM demo_rows WHERE tbl = ? AND row_id = ?').pluck();
    this.#count = db.prepare('SELECT tbl, COUNT(*) AS n FROM demo_rows GROUP BY tbl');
    this.#callBuckets = db.prepare("SELECT started_at AS startedAt, agent_id AS agentId, queue FROM calls WHERE id IN (SELECT row_id FROM demo_rows WHERE tbl = 'calls')");
    // Children first; utterances, legs, events and the dashboard tables follow the calls (cascades, triggers).
    // Follow-ups requested for demo cases after the back-fill (a supervisor working a demo case) go too.
    const followUps = db.prepare("DELETE FROM survey_requests WHERE case_id IN (SELECT CAST(row_id AS INTEGER) FROM demo_rows WHERE tbl = 'cases')");
    this.#deletes = (['survey_requests', 'cases', 'surveys', 'alarms'] as const).map((tbl) =>
      db.prepare(`DELETE FROM ${tbl} WHERE id IN (SELECT CAST(row_id AS INTEGER) FROM demo_rows WHERE tbl = '${tbl}')`),
    );
    this.#deletes.unshift(followUps);
    this.#deletes.push(db.prepare("DELETE FROM calls WHERE id IN (SELECT row_id FROM demo_rows WHERE tbl = 'calls')"));
    this.#auditOfCases = db.prepare("DELETE FROM audit_log WHERE action LIKE 'case.%' AND target IN (SELECT row_id FROM demo_rows WHERE tbl = 'cases')");
    this.#clear = db.prepare('DELETE FROM demo_rows');
  }

  mark(tbl: DemoTable, id: string | number): void {
    this.#mark.run(tbl, String(id));
  }

  has(tbl: DemoTable, id: string | number): boolean {
    return this.#has.get(tbl, String(id)) !== undefined;
  }

  counts(): Partial<Record<DemoTable, number>> {
    return Object.fromEntries((this.#count.all() as { tbl: DemoTable; n: number }[]).map((r) => [r.tbl, r.n]));
  }

  /**
   * Deletes every marked row (and the audit rows of the demo's cases) in one transaction; returns
   * what was removed and the (start, agent, queue) of each removed call so rollups can be recomputed.
   */
  purge(): { removed: Partial<Record<DemoTable, number>>; calls: { startedAt: number; agentId: string | null; queue: string | null }[] } {
    return this.db.transaction(() => {
      const removed = this.counts();
      const calls = this.#callBuckets.all() as { startedAt: number; agentId: string | null; queue: string | null }[];
      this.#auditOfCases.run();
      for (const d of this.#deletes) d.run();
      this.#clear.run();
      return { removed, calls };
    })();
  }
}
