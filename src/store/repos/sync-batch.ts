import type Database from 'better-sqlite3';
import { perConnection } from './lazy.js';

// Calls belong to the period in which they ended: once a period is over none of its calls can
// still change, so a batch is final when it is built. Ids are read only to join, never copied out.
// The started_at bound lets SQLite use calls_started (there is no index on ended_at); a call longer
// than MAX_CALL_MS is not reported. CROSS JOIN keeps calls as the outer loop of each join, and
// `+e.kind` stops the planner probing call_events_kind (every category event) once per call.
const MAX_CALL_MS = 2 * 86_400_000;
const ENDED = `c.started_at >= @from - ${MAX_CALL_MS} AND c.started_at < @to
               AND c.ended_at >= @from AND c.ended_at < @to AND c.state <> 'active'`;
const SQL = {
  calls: `SELECT c.id, c.queue, c.agent_id AS agent, c.channel, c.ended_at AS endedAt, c.duration_ms AS durationMs, c.summary
          FROM calls c WHERE ${ENDED}`,
  categories: `SELECT e.call_id AS callId, e.data FROM calls c CROSS JOIN call_events e ON e.call_id = c.id
               WHERE +e.kind = 'category' AND ${ENDED}`,
  emotions: `SELECT u.call_id AS callId, u.emotion, count(*) AS n FROM calls c CROSS JOIN utterances u ON u.call_id = c.id
             WHERE ${ENDED} GROUP BY u.call_id, u.emotion`,
  alarms: `SELECT a.call_id AS callId, a.rule, a.severity, count(*) AS n FROM calls c CROSS JOIN alarms a ON a.call_id = c.id
           WHERE ${ENDED} GROUP BY a.call_id, a.rule, a.severity`,
  // Surveys count in the hour they arrive, in their call's queue and channel (they often come after the call).
  surveys: `SELECT s.score, s.received_at AS receivedAt, c.queue, c.agent_id AS agent, c.channel FROM surveys s
            LEFT JOIN calls c ON c.id = s.call_id WHERE s.kind = 'nps' AND s.received_at >= @from AND s.received_at < @to`,
};

export interface BatchCallRow {
  id: string;
  queue: string | null;
  agent: string | null;
  /** calls.channel (migration 008) as stored: the builder maps it onto the Channel enum. */
  channel: string;
  endedAt: number;
  durationMs: number | null;
  summary: string | null;
}

/** An NPS answer received in the period, with its call's queue, agent and channel (null: no call). */
export interface SurveyRow {
  score: number;
  receivedAt: number;
  queue: string | null;
  agent: string | null;
  channel: string | null;
}

/** Visitors of one period's rows, called in this order: calls, categories, emotions, alarms, surveys. */
export interface BatchVisitor {
  call(r: BatchCallRow): void;
  category(r: { callId: string; data: string | null }): void;
  emotion(r: { callId: string; emotion: string; n: number }): void;
  alarm(r: { callId: string; rule: string; severity: string; n: number }): void;
  survey(r: SurveyRow): void;
}

/** The sync stage's reads for an aggregate batch; runs on the store's connection or a worker's read-only one. */
export class SyncBatchRepo {
  readonly #read: (range: { from: number; to: number }, v: BatchVisitor) => void;

  /** The repository of a connection, made once per connection so its statements are prepared once. */
  static readonly for = perConnection((db) => new SyncBatchRepo(db));

  constructor(db: Database.Database) {
    const calls = db.prepare(SQL.calls);
    const categories = db.prepare(SQL.categories);
    const emotions = db.prepare(SQL.emotions);
    const alarms = db.prepare(SQL.alarms);
    const surveys = db.prepare(SQL.surveys);
    // One read transaction: every query sees the same snapshot, even while the store writes.
    this.#read = db.transaction((range: { from: number; to: number }, v: BatchVisitor) => {
      for (const r of calls.iterate(range) as Iterable<BatchCallRow>) v.call(r);
      for (const r of categories.iterate(range) as Iterable<{ callId: string; data: string | null }>) v.category(r);
      for (const r of emotions.iterate(range) as Iterable<{ callId: string; emotion: string; n: number }>) v.emotion(r);
      for (const r of alarms.iterate(range) as Iterable<{ callId: string; rule: string; severity: string; n: number }>) v.alarm(r);
      for (const r of surveys.iterate(range) as Iterable<SurveyRow>) v.survey(r);
    });
  }

  /** Calls ended in [from, to) with their categories, emotions and alarms, and NPS surveys received then. */
  read(range: { from: number; to: number }, visitor: BatchVisitor): void {
    this.#read(range, visitor);
  }
}
