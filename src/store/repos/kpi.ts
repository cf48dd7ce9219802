import type Database from 'better-sqlite3';

/** The KPI stage's reads. Statements prepared once; rollups, NPS and surveys move here from src/kpi. */
export class KpiRepo {
  readonly #callKpis: Database.Statement;

  constructor(db: Database.Database) {
    this.#callKpis = db.prepare("SELECT json_extract(summary, '$.kpi') AS kpi FROM calls WHERE id = ?").pluck();
  }

  /**
   * A call's final KPIs as stored in its summary (JSON text): undefined for an unknown call, null
   * while the call has none yet.
   */
  callKpis(callId: string): string | null | undefined {
    return this.#callKpis.get(callId) as string | null | undefined;
  }
}
