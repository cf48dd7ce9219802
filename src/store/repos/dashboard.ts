// The console's reads: calls list and detail, alarms list, the overview's counts, KPI rollups.
// Lists are built from the filters actually set (one statement per combination, prepared once) so
// SQLite's planner sees only real constraints and picks the matching index: `(@x IS NULL OR ...)`
// hides them and made it scan every call.
import type Database from 'better-sqlite3';
import { CATEGORY_ID_SQL, npsSql } from '../sql.js';
import { LazyStatements, perConnection } from './lazy.js';

type Row = Record<string, unknown>;

const CALL_COLS = `c.id AS callId, c.ingest, c.started_at AS startedAt,
  c.ended_at AS endedAt, c.state, c.agent_id AS agentId, c.queue, c.duration_ms AS durationMs, c.channel`;

const ALARM_COLS = `id, call_id AS callId, agent_id AS agentId, rule, severity, state, message, evidence,
  raised_at AS raisedAt, acked_by AS ackedBy, acked_at AS ackedAt, ack_comment AS ackComment,
  resolved_by AS resolvedBy, resolved_at AS resolvedAt, resolve_comment AS resolveComment`;

/**
 * The category a 'category' event names: data.category, else data.rule (what analysis writes). The
 * same expression as the call_events_category index (migration 005), which it uses.
 */
const EVENT_CATEGORY = CATEGORY_ID_SQL;
const NPS = npsSql();

// One condition per filter; only the set ones are joined into the statement.
export const CALL_CONDITIONS = {
  state: 'c.state = @state',
  // calls_channel (channel, started_at) serves it with the start range.
  channel: 'c.channel = @channel',
  agent: 'c.agent_id = @agent',
  from: 'c.started_at >= @from',
  to: 'c.started_at < @to',
  q: `(c.agent_id LIKE @q ESCAPE '\\' OR c.queue LIKE @q ESCAPE '\\'
       OR EXISTS (SELECT 1 FROM utterances u WHERE u.call_id = c.id AND u.text LIKE @q ESCAPE '\\'))`,
  // Every category an utterance carries is also a 'category' event of its call (analysis emits both).
  category: `EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'category' AND ${EVENT_CATEGORY} = @category)`,
  emotion: 'EXISTS (SELECT 1 FROM utterances u WHERE u.call_id = c.id AND u.emotion = @emotion)',
} as const;
export type CallFilterKey = keyof typeof CALL_CONDITIONS;

export const ALARM_FILTERS = {
  state: 'state = @state',
  severity: 'severity = @severity',
  agent: 'agent_id = @agent',
  rule: 'rule = @rule',
  callId: 'call_id = @callId',
  // An alarm's channel is its call's (alarms_call finds the call, calls' primary key its channel).
  channel: 'EXISTS (SELECT 1 FROM calls c WHERE c.id = alarms.call_id AND c.channel = @channel)',
} as const;
export type AlarmFilterKey = keyof typeof ALARM_FILTERS;

export class DashboardRepo {
  static readonly for = perConnection((db) => new DashboardRepo(db));
  readonly #st: LazyStatements;

  constructor(db: Database.Database) {
    this.#st = new LazyStatements(db);
  }

  /** Calls with category `id` among the stored events, counted up to `atMost` (is it rare?). */
  categoryCalls(id: string, atMost: number): number {
    return this.#st
      .pluck(`SELECT COUNT(*) FROM (SELECT 1 FROM call_events e INDEXED BY call_events_category_calls
    WHERE e.kind = 'category' AND ${EVENT_CATEGORY} = ? LIMIT ${Math.trunc(atMost)})`)
      .get(id) as number;
  }

  /**
   * Calls newest first matching the set filters (`params` holds only those). A rare category is read
   * from its index first (the calls that have it), a common one by walking calls newest first until
   * the page is full: either way a few thousand rows at most.
   */
  listCalls(params: Partial<Record<CallFilterKey, unknown>>, page: { limit: number; offset: number }, rareCategory: boolean): Row[] {
    const keys = (Object.keys(CALL_CONDITIONS) as CallFilterKey[]).filter((k) => params[k] !== undefined);
    const rare = rareCategory && params.category !== undefined;
    const conds = keys.filter((k) => !(rare && k === 'category')).map((k) => CALL_CONDITIONS[k]);
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const from = rare
      ? `(SELECT DISTINCT e.call_id AS id FROM call_events e INDEXED BY call_events_category_calls
             WHERE e.kind = 'category' AND ${EVENT_CATEGORY} = @category) x CROSS JOIN calls c ON c.id = x.id`
      : 'calls c';
    const st = this.#st.get(`
        SELECT ${CALL_COLS},
          (SELECT COUNT(*) FROM alarms a WHERE a.call_id = c.id AND a.state = 'open') AS openAlarms,
          (SELECT COUNT(*) FROM utterances u WHERE u.call_id = c.id) AS utterances
        FROM ${from} ${where}
        ORDER BY c.started_at DESC
        LIMIT @limit OFFSET @offset`);
    const bound = Object.fromEntries(keys.map((k) => [k, params[k]]));
    return st.all({ ...bound, limit: page.limit, offset: page.offset }) as Row[];
  }

  /** One call's row with its summary (JSON text), legs, utterances, events and alarms. */
  call(id: string): { call: Row; legs: Row[]; utterances: Row[]; events: Row[]; alarms: Row[] } | undefined {
    const call = this.#st.get(`SELECT ${CALL_COLS}, c.summary FROM calls c WHERE c.id = ?`).get(id) as Row | undefined;
    if (!call) return undefined;
    return {
      call,
      legs: this.#st.get('SELECT id AS legId, role, label, codec, stats FROM legs WHERE call_id = ? ORDER BY rowid').all(id) as Row[],
      utterances: this.#st
        .get(`
    SELECT id, leg_id AS legId, role, seq, start_ms AS startMs, end_ms AS endMs, text, lang, sentiment, emotion,
      emotion_conf AS emotionConfidence, categories, redactions
    FROM utterances WHERE call_id = ? ORDER BY start_ms, id`)
        .all(id) as Row[],
      events: this.#st.get('SELECT id, leg_id AS legId, kind, t_ms AS tMs, data FROM call_events WHERE call_id = ? ORDER BY t_ms, id').all(id) as Row[],
      alarms: this.#st.get(`SELECT ${ALARM_COLS} FROM alarms WHERE call_id = ? ORDER BY raised_at`).all(id) as Row[],
    };
  }

  /** Alarms matching the set filters, most severe then newest first; built like the calls list so state/agent/rule each use their index. */
  listAlarms(params: Partial<Record<AlarmFilterKey, unknown>>, limit: number): Row[] {
    const keys = (Object.keys(ALARM_FILTERS) as AlarmFilterKey[]).filter((k) => params[k] !== undefined);
    const where = keys.length ? `WHERE ${keys.map((k) => ALARM_FILTERS[k]).join(' AND ')}` : '';
    const st = this.#st.get(`SELECT ${ALARM_COLS} FROM alarms ${where}
        ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, raised_at DESC LIMIT @limit`);
    return st.all({ ...Object.fromEntries(keys.map((k) => [k, params[k]])), limit }) as Row[];
  }

  alarm(id: number): Row | undefined {
    return this.#st.get(`SELECT ${ALARM_COLS} FROM alarms WHERE id = ?`).get(id) as Row | undefined;
  }

  /** Alarms raised in the range by severity and state (of one channel's calls if given). */
  alarmCounts(r: { from: number; to: number }, channel?: string): { severity: string; state: string; n: number }[] {
    if (channel !== undefined) {
      return this.#st
        .get(`SELECT severity, state, COUNT(*) AS n FROM alarms WHERE raised_at >= @from AND raised_at < @to AND ${ALARM_FILTERS.channel} GROUP BY severity, state`)
        .all({ ...r, channel }) as { severity: string; state: string; n: number }[];
    }
    return this.#st.get('SELECT severity, state, COUNT(*) AS n FROM alarms WHERE raised_at >= @from AND raised_at < @to GROUP BY severity, state').all(r) as { severity: string; state: string; n: number }[];
  }

  /** NPS answers received in the range: count, promoters, detractors (of one channel's calls if given). */
  npsCounts(r: { from: number; to: number }, channel?: string): { n: number; promoters: number | null; detractors: number | null } {
    const sql = `SELECT COUNT(*) AS n, SUM(${NPS.promoter}) AS promoters, SUM(${NPS.detractor}) AS detractors FROM surveys
    WHERE kind = 'nps' AND received_at >= @from AND received_at < @to`;
    if (channel !== undefined) {
      return this.#st
        .get(`${sql} AND EXISTS (SELECT 1 FROM calls c WHERE c.id = surveys.call_id AND c.channel = @channel)`)
        .get({ ...r, channel }) as { n: number; promoters: number | null; detractors: number | null };
    }
    return this.#st.get(sql).get(r) as { n: number; promoters: number | null; detractors: number | null };
  }

  rollups(f: { bucket: string; dim: string; dimValue: string | null; from: number; to: number }): Row[] {
    return this.#st
      .get(`
    SELECT bucket, bucket_start AS bucketStart, dim, dim_value AS dimValue, metrics FROM kpi_rollups
    WHERE bucket = @bucket AND dim = @dim AND (@dimValue IS NULL OR dim_value = @dimValue)
      AND bucket_start >= @from AND bucket_start < @to
    ORDER BY bucket_start LIMIT 5000`)
      .all(f) as Row[];
  }
}
