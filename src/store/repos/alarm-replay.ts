import type Database from 'better-sqlite3';
import { perConnection } from './lazy.js';
import type { Role } from '../../call/types.js';

export interface ReplayCall {
  id: string;
  agentId: string | null;
  startedAt: number;
  endedAt: number | null;
}

export interface ReplayUtterance {
  id: number;
  legId: string;
  role: Role;
  seq: number;
  startMs: number;
  endMs: number;
  sentiment: number | null;
}

export interface ReplayEvent {
  legId: string | null;
  kind: string;
  tMs: number;
  data: string | null;
}

/**
 * What an alarm rule dry run replays: recent calls with their legs, utterances and the call events the
 * alarm engine reads. Statements prepared on first use, once per connection (store or read worker).
 */
export class AlarmReplayRepo {
  #calls?: Database.Statement;
  #legs?: Database.Statement;
  #utterances?: Database.Statement;
  #events?: Database.Statement;

  /** The repository of a connection (the store's, or a worker's read-only one), made once. */
  static readonly for = perConnection((db) => new AlarmReplayRepo(db));

  constructor(private readonly db: Database.Database) {}

  /** Calls started at or after `since`, oldest first, at most `limit`. */
  callsSince(since: number, limit: number): ReplayCall[] {
    this.#calls ??= this.db.prepare('SELECT id, agent_id AS agentId, started_at AS startedAt, ended_at AS endedAt FROM calls WHERE started_at >= ? ORDER BY started_at, id LIMIT ?');
    return this.#calls.all(since, limit) as ReplayCall[];
  }

  legs(callId: string): { id: string; role: Role }[] {
    this.#legs ??= this.db.prepare('SELECT id, role FROM legs WHERE call_id = ?');
    return this.#legs.all(callId) as { id: string; role: Role }[];
  }

  utterances(callId: string): ReplayUtterance[] {
    this.#utterances ??= this.db.prepare('SELECT id, leg_id AS legId, role, seq, start_ms AS startMs, end_ms AS endMs, sentiment FROM utterances WHERE call_id = ?');
    return this.#utterances.all(callId) as ReplayUtterance[];
  }

  /** The call events alarm rules read: VAD speech segments, hold/resume and category hits. */
  events(callId: string): ReplayEvent[] {
    this.#events ??= this.db.prepare("SELECT leg_id AS legId, kind, t_ms AS tMs, data FROM call_events WHERE call_id = ? AND kind IN ('speech','hold','resume','category')");
    return this.#events.all(callId) as ReplayEvent[];
  }
}
