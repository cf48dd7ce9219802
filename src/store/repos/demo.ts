import type Database from 'better-sqlite3';

export type DemoTable = 'calls' | 'surveys' | 'alarms' | 'cases' | 'survey_requests';

/** The demo back-fill's bookkeeping: which rows it created, so a purge removes exactly those. */
export class DemoRepo {
  readonly #mark: Database.Statement;
  readonly #has: Database.Statement;
  readonly #demoCase: Database.Statement;
  readonly #count: Database.Statement;
  /** Prepared at purge time only: read-only connections build repos too. */
  readonly #deletes: string[];
  readonly #fill: string[];
  readonly #remove: string[];

  constructor(private readonly db: Database.Database) {
    this.#mark = db.prepare('INSERT OR IGNORE INTO demo_rows (tbl, row_id) VALUES (?, ?)');
    this.#has = db.prepare('SELECT 1 FROM demo_rows WHERE tbl = ? AND row_id = ?').pluck();
    // A case about a customer seen only on demo calls (back-filled or the live loop's replays).
    this.#demoCase = db.prepare(
      `SELECT 1 FROM cases c WHERE c.id = ? AND (EXISTS (SELECT 1 FROM demo_rows d WHERE d.tbl = 'cases' AND d.row_id = CAST(c.id AS TEXT))
         OR (EXISTS (SELECT 1 FROM calls k WHERE k.customer_hash = c.customer_hash)
             AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.customer_hash = c.customer_hash AND NOT (k.ingest IN ('import', 'conversation') AND k.external_id LIKE 'demo-%'))))`,
    ).pluck();
    this.#count = db.prepare('SELECT tbl, COUNT(*) AS n FROM demo_rows GROUP BY tbl');
    // Demo calls: the back-fill's (listed) and the live demo loop's replays (external id demo-…). Demo
    // customers: hashes seen only on demo calls (the loop's callers are made-up numbers). Children first;
    // utterances, legs, events and the dashboard tables follow the calls (cascades, triggers).
    this.#deletes = [
      "CREATE TEMP TABLE IF NOT EXISTS demo_calls (id TEXT PRIMARY KEY)",
      "CREATE TEMP TABLE IF NOT EXISTS demo_customers (h TEXT PRIMARY KEY)",
      "CREATE TEMP TABLE IF NOT EXISTS demo_cases (id INTEGER PRIMARY KEY)",
    ];
    this.#fill = [
      'DELETE FROM temp.demo_calls', 'DELETE FROM temp.demo_customers', 'DELETE FROM temp.demo_cases',
      "INSERT OR IGNORE INTO temp.demo_calls SELECT row_id FROM demo_rows WHERE tbl = 'calls'",
      "INSERT OR IGNORE INTO temp.demo_calls SELECT id FROM calls WHERE ingest IN ('import', 'conversation') AND external_id LIKE 'demo-%'",
      `INSERT OR IGNORE INTO temp.demo_customers SELECT DISTINCT customer_hash FROM calls WHERE id IN (SELECT id FROM temp.demo_calls) AND customer_hash IS NOT NULL
         EXCEPT SELECT customer_hash FROM calls WHERE id NOT IN (SELECT id FROM temp.demo_calls) AND customer_hash IS NOT NULL`,
      "INSERT OR IGNORE INTO temp.demo_cases SELECT CAST(row_id AS INTEGER) FROM demo_rows WHERE tbl = 'cases'",
      'INSERT OR IGNORE INTO temp.demo_cases SELECT id FROM cases WHERE customer_hash IN (SELECT h FROM temp.demo_customers)',
    ];
    this.#remove = [
      "DELETE FROM audit_log WHERE action LIKE 'case.%' AND target IN (SELECT CAST(id AS TEXT) FROM temp.demo_cases)",
      `DELETE FROM survey_requests WHERE id IN (SELECT CAST(row_id AS INTEGER) FROM demo_rows WHERE tbl = 'survey_requests')
         OR case_id IN (SELECT id FROM temp.demo_cases) OR call_id IN (SELECT id FROM temp.demo_calls) OR customer_hash IN (SELECT h FROM temp.demo_customers)`,
      'DELETE FROM cases WHERE id IN (SELECT id FROM temp.demo_cases)',
      `DELETE FROM surveys WHERE id IN (SELECT CAST(row_id AS INTEGER) FROM demo_rows WHERE tbl = 'surveys')
         OR call_id IN (SELECT id FROM temp.demo_calls) OR customer_hash IN (SELECT h FROM temp.demo_customers)`,
      "DELETE FROM alarms WHERE id IN (SELECT CAST(row_id AS INTEGER) FROM demo_rows WHERE tbl = 'alarms') OR call_id IN (SELECT id FROM temp.demo_calls)",
      'DELETE FROM calls WHERE id IN (SELECT id FROM temp.demo_calls)',
      'DELETE FROM demo_rows',
    ];
  }

  mark(tbl: DemoTable, id: string | number): void {
    this.#mark.run(tbl, String(id));
  }

  has(tbl: DemoTable, id: string | number): boolean {
    return this.#has.get(tbl, String(id)) !== undefined;
  }

  /** Whether a case belongs to the demo (its events must not reach a real CRM). */
  isDemoCase(id: number): boolean {
    return this.#demoCase.get(id) !== undefined;
  }

  counts(): Partial<Record<DemoTable, number>> {
    return Object.fromEntries((this.#count.all() as { tbl: DemoTable; n: number }[]).map((r) => [r.tbl, r.n]));
  }

  /**
   * Deletes every demo row in one transaction — the back-fill's, the live demo loop's calls with
   * their alarms and surveys, and the cases and survey requests of customers seen only on demo
   * calls (with those cases' audit rows); returns
   * what was removed and the (start, agent, queue) of each removed call so rollups can be recomputed.
   */
  purge(): { removed: Partial<Record<DemoTable, number>>; calls: { startedAt: number; agentId: string | null; queue: string | null }[] } {
    for (const d of this.#deletes) this.db.prepare(d).run();
    const one = (sql: string) => this.db.prepare(sql).pluck().get() as number;
    return this.db.transaction(() => {
      for (const q of this.#fill) this.db.prepare(q).run();
      const calls = this.db.prepare('SELECT started_at AS startedAt, agent_id AS agentId, queue FROM calls WHERE id IN (SELECT id FROM temp.demo_calls)').all() as { startedAt: number; agentId: string | null; queue: string | null }[];
      const removed: Partial<Record<DemoTable, number>> = { calls: calls.length, cases: one('SELECT COUNT(*) FROM temp.demo_cases') };
      const counts = this.#remove.map((q) => this.db.prepare(q).run().changes);
      removed.survey_requests = counts[1];
      removed.surveys = counts[3];
      removed.alarms = counts[4];
      return { removed, calls };
    })();
  }

  /** Runs `fn` in one write transaction: the back-fill and the purge's rollup recompute are all or nothing. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
