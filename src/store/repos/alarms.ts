import type Database from 'better-sqlite3';
import { toAlarm } from '../rows.js';
import type { AlarmRow } from '../types.js';

/**
 * The escalation scan: open, not yet escalated alarms of the rules that escalate (a JSON list), old
 * enough, through the partial index alarms_escalation (migration 011). INDEXED BY: without statistics
 * (a new database) the planner takes alarms_state and walks every open alarm (test/store/alarms-index.test.ts).
 */
export const UNESCALATED_SQL =
  "SELECT * FROM alarms INDEXED BY alarms_escalation WHERE state = 'open' AND escalated_at IS NULL AND raised_at <= ? AND rule IN (SELECT value FROM json_each(?)) ORDER BY id";

/** The alarm stage's reads beyond the Store's own alarm API. Statements prepared once. */
export class AlarmsRepo {
  #unescalated?: Database.Statement;
  readonly #raisedSince: Database.Statement;
  readonly #agentDay: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.#raisedSince = db.prepare('SELECT 1 FROM alarms WHERE rule = ? AND agent_id = ? AND raised_at >= ?').pluck();
    this.#agentDay = db.prepare(
      `SELECT agent_id, json_extract(summary, '$.kpi.categories') AS cats, json_extract(summary, '$.kpi.sentiment.negativeSwing') AS swing
       FROM calls WHERE agent_id IS NOT NULL AND ended_at IS NOT NULL AND started_at >= ? AND summary IS NOT NULL`,
    );
  }

  /** Open, not yet escalated alarms of `rules` raised at or before `before`, oldest id first. */
  unescalated(rules: readonly string[], before: number): AlarmRow[] {
    // Prepared on first use: it names migration 011's index, and the scan runs every few seconds.
    this.#unescalated ??= this.db.prepare(UNESCALATED_SQL);
    return (this.#unescalated.all(before, JSON.stringify(rules)) as Record<string, unknown>[]).map(toAlarm);
  }

  /** Whether `rule` raised an alarm for `agentId` at or after `since` (once-a-day agent alarms). */
  raisedSince(rule: string, agentId: string, since: number): boolean {
    return this.#raisedSince.get(rule, agentId, since) !== undefined;
  }

  /** Finished calls with an agent started at or after `since`: their KPI categories (JSON) and negative swing. */
  agentCallsSince(since: number): { agent_id: string; cats: string | null; swing: number | null }[] {
    return this.#agentDay.all(since) as { agent_id: string; cats: string | null; swing: number | null }[];
  }
}
