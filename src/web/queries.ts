import type Database from 'better-sqlite3';

// Every read the API makes, prepared once. Optional filters are `(@x IS NULL OR ...)` so one
// statement serves every combination; SQLite's planner still uses the indexes for the set ones.

export interface CallFilter {
  state?: string;
  agent?: string;
  q?: string;
  from?: number;
  to?: number;
  category?: string;
  emotion?: string;
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

const json = (v: unknown) => (typeof v === 'string' && v ? (JSON.parse(v) as unknown) : null);
const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
const nul = <T>(v: T | undefined) => (v === undefined || v === '' ? null : v);

const CALL_COLS = `c.id AS callId, c.ingest, c.started_at AS startedAt,
  c.ended_at AS endedAt, c.state, c.agent_id AS agentId, c.queue, c.duration_ms AS durationMs`;

const ALARM_COLS = `id, call_id AS callId, agent_id AS agentId, rule, severity, state, message, evidence,
  raised_at AS raisedAt, acked_by AS ackedBy, acked_at AS ackedAt, ack_comment AS ackComment,
  resolved_by AS resolvedBy, resolved_at AS resolvedAt, resolve_comment AS resolveComment`;

export function createQueries(db: Database.Database) {
  const calls = db.prepare(`
    SELECT ${CALL_COLS},
      (SELECT COUNT(*) FROM alarms a WHERE a.call_id = c.id AND a.state = 'open') AS openAlarms,
      (SELECT COUNT(*) FROM utterances u WHERE u.call_id = c.id) AS utterances
    FROM calls c
    WHERE (@state IS NULL OR c.state = @state)
      AND (@agent IS NULL OR c.agent_id = @agent)
      AND (@from IS NULL OR c.started_at >= @from)
      AND (@to IS NULL OR c.started_at < @to)
      AND (@q IS NULL
        OR c.agent_id LIKE @q ESCAPE '\\' OR c.queue LIKE @q ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM utterances u WHERE u.call_id = c.id AND u.text LIKE @q ESCAPE '\\'))
      AND (@category IS NULL
        OR EXISTS (SELECT 1 FROM utterances u, json_each(u.categories) j WHERE u.call_id = c.id AND j.value = @category)
        OR EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'category'
                   AND @category IN (json_extract(e.data, '$.category'), json_extract(e.data, '$.id'))))
      AND (@emotion IS NULL OR EXISTS (SELECT 1 FROM utterances u WHERE u.call_id = c.id AND u.emotion = @emotion))
    ORDER BY c.started_at DESC
    LIMIT @limit OFFSET @offset`);
  const call = db.prepare(`SELECT ${CALL_COLS}, c.summary FROM calls c WHERE c.id = ?`);
  const legs = db.prepare('SELECT id AS legId, role, label, codec, stats FROM legs WHERE call_id = ? ORDER BY rowid');
  const utterances = db.prepare(`
    SELECT id, leg_id AS legId, role, seq, start_ms AS startMs, end_ms AS endMs, text, lang, sentiment, emotion,
      emotion_conf AS emotionConfidence, categories, redactions
    FROM utterances WHERE call_id = ? ORDER BY start_ms, id`);
  const events = db.prepare('SELECT id, leg_id AS legId, kind, t_ms AS tMs, data FROM call_events WHERE call_id = ? ORDER BY t_ms, id');
  const callAlarms = db.prepare(`SELECT ${ALARM_COLS} FROM alarms WHERE call_id = ? ORDER BY raised_at`);
  const alarms = db.prepare(`
    SELECT ${ALARM_COLS} FROM alarms
    WHERE (@state IS NULL OR state = @state) AND (@severity IS NULL OR severity = @severity)
      AND (@agent IS NULL OR agent_id = @agent) AND (@rule IS NULL OR rule = @rule)
      AND (@callId IS NULL OR call_id = @callId)
    ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, raised_at DESC
    LIMIT @limit`);
  const alarmById = db.prepare(`SELECT ${ALARM_COLS} FROM alarms WHERE id = ?`);
  const perHour = db.prepare(`
    SELECT (started_at / 3600000) * 3600000 AS hour, COUNT(*) AS calls,
      AVG(duration_ms) AS avgDurationMs FROM calls
    WHERE started_at >= @from AND started_at < @to GROUP BY hour ORDER BY hour`);
  const emotions = db.prepare(`
    SELECT u.role, u.emotion, COUNT(*) AS n, AVG(u.sentiment) AS sentiment FROM utterances u JOIN calls c ON c.id = u.call_id
    WHERE c.started_at >= @from AND c.started_at < @to GROUP BY u.role, u.emotion`);
  const alarmCounts = db.prepare(`
    SELECT severity, state, COUNT(*) AS n FROM alarms WHERE raised_at >= @from AND raised_at < @to GROUP BY severity, state`);
  const nps = db.prepare(`
    SELECT COUNT(*) AS n, SUM(score >= 9) AS promoters, SUM(score <= 6) AS detractors FROM surveys
    WHERE kind = 'nps' AND received_at >= @from AND received_at < @to`);
  const totals = db.prepare(`
    SELECT COUNT(*) AS calls, AVG(duration_ms) AS avgDurationMs, SUM(state = 'active') AS active FROM calls
    WHERE started_at >= @from AND started_at < @to`);
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
    listCalls(f: CallFilter) {
      return calls.all({
        state: nul(f.state),
        agent: nul(f.agent),
        q: f.q ? likePattern(f.q) : null,
        from: nul(f.from),
        to: nul(f.to),
        category: nul(f.category),
        emotion: nul(f.emotion),
        limit: f.limit,
        offset: f.offset,
      });
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
      return (alarms.all({
        state: nul(f.state),
        severity: nul(f.severity),
        agent: nul(f.agent),
        rule: nul(f.rule),
        callId: nul(f.callId),
        limit: f.limit,
      }) as Row[]).map(alarmOut);
    },

    alarm(id: number) {
      const r = alarmById.get(id) as Row | undefined;
      return r ? alarmOut(r) : undefined;
    },

    overview(range: { from: number; to: number }) {
      const n = nps.get(range) as { n: number; promoters: number | null; detractors: number | null };
      return {
        ...range,
        callsPerHour: perHour.all(range),
        emotions: emotions.all(range),
        alarms: alarmCounts.all(range),
        nps: n.n ? { n: n.n, score: Math.round((100 * ((n.promoters ?? 0) - (n.detractors ?? 0))) / n.n) } : null,
        totals: totals.get(range),
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

export type Queries = ReturnType<typeof createQueries>;
