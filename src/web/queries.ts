import type Database from 'better-sqlite3';
import { callSums, mean } from './reports/call-sums.js';
import { emotionTotals } from './reports/emotions.js';
import { CATEGORY_ID_SQL, npsSql } from '../store/sql.js';

// Every read the API makes, prepared once. The calls list is built from the filters actually set
// (one prepared statement per combination, cached) so SQLite's planner sees only real constraints
// and picks the matching index: `(@x IS NULL OR ...)` hides them and made it scan every call.

export interface CallFilter {
  state?: string;
  agent?: string;
  q?: string;
  from?: number;
  to?: number;
  category?: string;
  emotion?: string;
  /** voice | chat | wechat | app | email | sms (calls.channel, migration 008). */
  channel?: string;
  limit: number;
  offset: number;
}

export interface AlarmFilter {
  state?: string;
  severity?: string;
  agent?: string;
  rule?: string;
  callId?: string;
  limit: number;
}

type Row = Record<string, unknown>;

const DAY = 86_400_000;
/**
 * Text search reads every utterance of the calls it looks at (a substring match: no index helps).
 * Without `from` it covers the TEXT_SEARCH_DAYS days before `to` (or now): at 1M calls a day of
 * transcripts is searched in ~0.2 s, a week in ~1 s, so a wider search names its range. The console
 * says which days a search covered.
 */
export const TEXT_SEARCH_DAYS = 1;

const json = (v: unknown) => (typeof v === 'string' && v ? (JSON.parse(v) as unknown) : null);
const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
const nul = <T>(v: T | undefined) => (v === undefined || v === '' ? null : v);

const CALL_COLS = `c.id AS callId, c.ingest, c.started_at AS startedAt,
  c.ended_at AS endedAt, c.state, c.agent_id AS agentId, c.queue, c.duration_ms AS durationMs`;

const ALARM_COLS = `id, call_id AS callId, agent_id AS agentId, rule, severity, state, message, evidence,
  raised_at AS raisedAt, acked_by AS ackedBy, acked_at AS ackedAt, ack_comment AS ackComment,
  resolved_by AS resolvedBy, resolved_at AS resolvedAt, resolve_comment AS resolveComment`;

/**
 * The category a 'category' event names: data.category, else data.rule (what analysis writes). The
 * same expression as figures.ts and the call_events_category index (migration 005), which it uses.
 */
export const EVENT_CATEGORY = CATEGORY_ID_SQL;
const NPS = npsSql();

// One condition per filter; only the set ones are joined into the statement.
const CONDITIONS: Record<'state' | 'agent' | 'from' | 'to' | 'q' | 'category' | 'emotion' | 'channel', string> = {
  state: 'c.state = @state',
  channel: 'c.channel = @channel',
  agent: 'c.agent_id = @agent',
  from: 'c.started_at >= @from',
  to: 'c.started_at < @to',
  q: `(c.agent_id LIKE @q ESCAPE '\\' OR c.queue LIKE @q ESCAPE '\\'
       OR EXISTS (SELECT 1 FROM utterances u WHERE u.call_id = c.id AND u.text LIKE @q ESCAPE '\\'))`,
  // Every category an utterance carries is also a 'category' event of its call (analysis emits both).
  category: `EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'category' AND ${EVENT_CATEGORY} = @category)`,
  emotion: 'EXISTS (SELECT 1 FROM utterances u WHERE u.call_id = c.id AND u.emotion = @emotion)',
};
type FilterKey = keyof typeof CONDITIONS;
/** Below this many hits among all stored events a category is "rare" (see listCalls); tests lower it. */
const RARE_CATEGORY = 5000;
const ALARM_FILTERS = { state: 'state', severity: 'severity', agent: 'agent_id', rule: 'rule', callId: 'call_id' } as const;
type AlarmKey = keyof typeof ALARM_FILTERS;

export function createQueries(db: Database.Database, opts: { clock?: () => number; rareCategory?: number } = {}) {
  const now = opts.clock ?? Date.now;
  const rareBelow = opts.rareCategory ?? RARE_CATEGORY;
  const callStatements = new Map<string, Database.Statement>();
  // A rare category is read from its index first (the calls that have it), a common one by walking
  // calls newest first until the page is full: either way a few thousand rows at most.
  const categoryEvents = db.prepare(`SELECT COUNT(*) FROM (SELECT 1 FROM call_events e INDEXED BY call_events_category_calls
    WHERE e.kind = 'category' AND ${EVENT_CATEGORY} = ? LIMIT ${rareBelow})`).pluck();
  const callsWhere = (keys: FilterKey[], rare: boolean) => {
    const id = `${keys.join(',')}${rare ? '+rare' : ''}`;
    let st = callStatements.get(id);
    if (!st) {
      const conds = keys.filter((k) => !(rare && k === 'category')).map((k) => CONDITIONS[k]);
      const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
      const from = rare
        ? `(SELECT DISTINCT e.call_id AS id FROM call_events e INDEXED BY call_events_category_calls
             WHERE e.kind = 'category' AND ${EVENT_CATEGORY} = @category) x CROSS JOIN calls c ON c.id = x.id`
        : 'calls c';
      st = db.prepare(`
        SELECT ${CALL_COLS},
          (SELECT COUNT(*) FROM alarms a WHERE a.call_id = c.id AND a.state = 'open') AS openAlarms,
          (SELECT COUNT(*) FROM utterances u WHERE u.call_id = c.id) AS utterances
        FROM ${from} ${where}
        ORDER BY c.started_at DESC
        LIMIT @limit OFFSET @offset`);
      callStatements.set(id, st);
    }
    return st;
  };
  const call = db.prepare(`SELECT ${CALL_COLS}, c.summary FROM calls c WHERE c.id = ?`);
  const legs = db.prepare('SELECT id AS legId, role, label, codec, stats FROM legs WHERE call_id = ? ORDER BY rowid');
  const utterances = db.prepare(`
    SELECT id, leg_id AS legId, role, seq, start_ms AS startMs, end_ms AS endMs, text, lang, sentiment, emotion,
      emotion_conf AS emotionConfidence, categories, redactions
    FROM utterances WHERE call_id = ? ORDER BY start_ms, id`);
  const events = db.prepare('SELECT id, leg_id AS legId, kind, t_ms AS tMs, data FROM call_events WHERE call_id = ? ORDER BY t_ms, id');
  const callAlarms = db.prepare(`SELECT ${ALARM_COLS} FROM alarms WHERE call_id = ? ORDER BY raised_at`);
  // Built from the set filters like the calls list, so state/agent/rule each use their index.
  const alarmStatements = new Map<string, Database.Statement>();
  const alarmsWhere = (keys: AlarmKey[]) => {
    const id = keys.join(',');
    let st = alarmStatements.get(id);
    if (!st) {
      const where = keys.length ? `WHERE ${keys.map((k) => `${ALARM_FILTERS[k]} = @${k}`).join(' AND ')}` : '';
      st = db.prepare(`SELECT ${ALARM_COLS} FROM alarms ${where}
        ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, raised_at DESC LIMIT @limit`);
      alarmStatements.set(id, st);
    }
    return st;
  };
  const alarmById = db.prepare(`SELECT ${ALARM_COLS} FROM alarms WHERE id = ?`);
  // call_facts (migration 005) mirrors calls in start order: a range is one narrow contiguous read.
  const alarmCounts = db.prepare(`
    SELECT severity, state, COUNT(*) AS n FROM alarms WHERE raised_at >= @from AND raised_at < @to GROUP BY severity, state`);
  const nps = db.prepare(`
    SELECT COUNT(*) AS n, SUM(${NPS.promoter}) AS promoters, SUM(${NPS.detractor}) AS detractors FROM surveys
    WHERE kind = 'nps' AND received_at >= @from AND received_at < @to`);
  const rollups = db.prepare(`
    SELECT bucket, bucket_start AS bucketStart, dim, dim_value AS dimValue, metrics FROM kpi_rollups
    WHERE bucket = @bucket AND dim = @dim AND (@dimValue IS NULL OR dim_value = @dimValue)
      AND bucket_start >= @from AND bucket_start < @to
    ORDER BY bucket_start LIMIT 5000`);
  const audit = db.prepare(`
    SELECT id, at, actor, action, target, detail FROM audit_log
    WHERE (@actor IS NULL OR actor = @actor) AND (@action IS NULL OR action = @action)
      AND (@from IS NULL OR at >= @from) AND (@to IS NULL OR at < @to)
    ORDER BY at DESC, id DESC LIMIT @limit`);

  const alarmOut = (r: Row) => ({ ...r, evidence: json(r.evidence) });

  return {
    /** Newest first. A text search (`q`) without `from` covers TEXT_SEARCH_DAYS days (see textSearchFrom). */
    listCalls(f: CallFilter) {
      const params: Record<string, unknown> = {
        state: nul(f.state),
        agent: nul(f.agent),
        q: f.q ? likePattern(f.q) : null,
        from: nul(f.q ? textSearchFrom(f, now()) : f.from),
        to: nul(f.to),
        category: nul(f.category),
        emotion: nul(f.emotion),
        channel: nul(f.channel),
      };
      const keys = (Object.keys(CONDITIONS) as FilterKey[]).filter((k) => params[k] !== null);
      const bound = Object.fromEntries(keys.map((k) => [k, params[k]]));
      const rare = params.category !== null && (categoryEvents.get(params.category) as number) < rareBelow;
      return callsWhere(keys, rare).all({ ...bound, limit: f.limit, offset: f.offset });
    },

    /** The whole record of one call, or undefined. */
    callDetail(id: string) {
      const c = call.get(id) as Row | undefined;
      if (!c) return undefined;
      return {
        ...c,
        summary: json(c.summary),
        legs: (legs.all(id) as Row[]).map((l) => ({ ...l, stats: json(l.stats) })),
        utterances: (utterances.all(id) as Row[]).map((u) => ({ ...u, categories: json(u.categories) ?? [] })),
        events: (events.all(id) as Row[]).map((e) => ({ ...e, data: json(e.data) })),
        alarms: (callAlarms.all(id) as Row[]).map(alarmOut),
      };
    },

    listAlarms(f: AlarmFilter) {
      const params: Record<AlarmKey, unknown> = { state: nul(f.state), severity: nul(f.severity), agent: nul(f.agent), rule: nul(f.rule), callId: nul(f.callId) };
      const keys = (Object.keys(ALARM_FILTERS) as AlarmKey[]).filter((k) => params[k] !== null);
      const bound = Object.fromEntries(keys.map((k) => [k, params[k]]));
      return (alarmsWhere(keys).all({ ...bound, limit: f.limit }) as Row[]).map(alarmOut);
    },

    alarm(id: number) {
      const r = alarmById.get(id) as Row | undefined;
      return r ? alarmOut(r) : undefined;
    },

    overview(range: { from: number; to: number }) {
      const n = nps.get(range) as { n: number; promoters: number | null; detractors: number | null };
      // One read of the range (whole hours from call_hours) serves the hourly chart and the totals.
      const hours = callSums(db, range, 'hour');
      const sum = (k: 'calls' | 'dur_sum' | 'dur_n' | 'active') => hours.reduce((n, h) => n + h[k], 0);
      return {
        ...range,
        callsPerHour: hours.map((h) => ({ hour: h.key, calls: h.calls, avgDurationMs: mean(h.dur_sum, h.dur_n) })),
        emotions: emotionTotals(db, range),
        alarms: alarmCounts.all(range),
        nps: n.n ? { n: n.n, score: Math.round((100 * ((n.promoters ?? 0) - (n.detractors ?? 0))) / n.n) } : null,
        totals: { calls: sum('calls'), avgDurationMs: mean(sum('dur_sum'), sum('dur_n')), active: hours.length ? sum('active') : null },
      };
    },

    rollups(f: { bucket: string; dim: string; dimValue?: string; from: number; to: number }) {
      return (rollups.all({ ...f, dimValue: nul(f.dimValue) }) as Row[]).map((r) => ({ ...r, metrics: json(r.metrics) }));
    },

    audit(f: { actor?: string; action?: string; from?: number; to?: number; limit: number }) {
      return audit.all({ actor: nul(f.actor), action: nul(f.action), from: nul(f.from), to: nul(f.to), limit: f.limit });
    },
  };
}

/** Where a text search starts: `from` when given, else TEXT_SEARCH_DAYS days before `to` (or now). */
export function textSearchFrom(f: { from?: number; to?: number }, now: number): number {
  return f.from ?? (f.to ?? now) - TEXT_SEARCH_DAYS * DAY;
}

export type Queries = ReturnType<typeof createQueries>;
