import type Database from 'better-sqlite3';

export interface CoachingCall {
  id: string;
  agentId: string;
  /** calls.summary.qa (JSON text) and KPI figures. */
  qa: string | null;
  categories: string | null;
  negativeEnd: number | null;
  /** Mean NPS of the answers tied to the call, null without any. */
  nps: number | null;
}

export interface CoachingUtterance {
  id: number;
  callId: string;
  role: string;
  startMs: number;
  endMs: number;
  /** Redacted at write time (the only text the store holds). */
  text: string;
  sentiment: number;
  categories: string;
}

/** The coaching read-outs: finished calls with an agent, their utterances and holds. */
export class CoachingRepo {
  readonly #calls: Database.Statement;
  readonly #utterances: Database.Statement;
  readonly #holds: Database.Statement;

  constructor(db: Database.Database) {
    this.#calls = db.prepare(
      `SELECT c.id, c.agent_id AS agentId, json_extract(c.summary, '$.qa') AS qa, json_extract(c.summary, '$.kpi.categories') AS categories,
         json_extract(c.summary, '$.kpi.sentiment.negativeEnd') AS negativeEnd,
         (SELECT AVG(s.score) FROM surveys s WHERE s.call_id = c.id AND s.kind = 'nps') AS nps
       FROM calls c WHERE c.agent_id IS NOT NULL AND c.ended_at IS NOT NULL AND c.started_at >= ? AND c.summary IS NOT NULL
       ORDER BY c.started_at DESC LIMIT ?`,
    );
    this.#utterances = db.prepare(
      `SELECT id, call_id AS callId, role, start_ms AS startMs, end_ms AS endMs, text, sentiment, categories
       FROM utterances WHERE call_id IN (SELECT value FROM json_each(?)) ORDER BY call_id, start_ms, id`,
    );
    this.#holds = db.prepare("SELECT call_id AS callId, t_ms AS tMs FROM call_events WHERE kind = 'hold' AND call_id IN (SELECT value FROM json_each(?))");
  }

  /** The newest `limit` finished calls with an agent started at or after `since`. */
  calls(since: number, limit: number): CoachingCall[] {
    return this.#calls.all(since, limit) as CoachingCall[];
  }

  utterances(callIds: string[]): CoachingUtterance[] {
    return this.#utterances.all(JSON.stringify(callIds)) as CoachingUtterance[];
  }

  holds(callIds: string[]): { callId: string; tMs: number }[] {
    return this.#holds.all(JSON.stringify(callIds)) as { callId: string; tMs: number }[];
  }
}
