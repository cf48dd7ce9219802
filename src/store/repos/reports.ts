// The reports stage's reads (insight reports and the dashboard panels) and the reports table.
// Whole hours come from the hour tables of migration 005 (call_hours, emotion_hours,
// category_hours, kept by triggers); the partial hours at either end of a range are read from the
// rows themselves, so results are exact for any range while a month reads a few thousand rows.
// Everything here is counts, shares and ids: no transcript text, no customer hashes, no numbers.
// Rows come back as SQLite gives them; src/web/reports merges and shapes them.
import type Database from 'better-sqlite3';
import { CATEGORY_ID_SQL, npsSql } from '../sql.js';
import { LazyStatements, perConnection } from './lazy.js';
import { SurveysRepo } from './surveys.js';

export interface Range {
  from: number;
  to: number;
}

const HOUR = 3_600_000;
const CATEGORY_ID = CATEGORY_ID_SQL;
const NPS = npsSql();
const NEG_END = "json_extract(c.summary, '$.kpi.sentiment.negativeEnd')";
const CALL_QA = "(SELECT AVG(json_extract(q.value, '$.score')) FROM json_each(c.summary, '$.qa') q)";

/** The whole hours inside a range, and the partial hours before and after them. */
export function splitHours(r: Range): { hours: Range | null; edges: Range[] } {
  const h0 = Math.ceil(r.from / HOUR) * HOUR;
  const h1 = Math.floor(r.to / HOUR) * HOUR;
  if (h1 <= h0) return { hours: null, edges: r.to > r.from ? [r] : [] };
  return { hours: { from: h0, to: h1 }, edges: [{ from: r.from, to: h0 }, { from: h1, to: r.to }].filter((e) => e.to > e.from) };
}

/**
 * Call sums of one group. `key`: the hour (epoch ms), the agent id ('' for none) or '' for the whole
 * range; the cdur_* sums are over calls long enough for KPI means (summary.kpi.short not true).
 */
export interface CallSumsRow {
  key: string | number;
  calls: number;
  active: number;
  dur_n: number;
  dur_sum: number;
  cdur_n: number;
  cdur_sum: number;
  neg_n: number;
  neg_sum: number;
  qa_n: number;
  qa_sum: number;
  alarms: number;
}

export const CALL_SUM_FIELDS = ['calls', 'active', 'dur_n', 'dur_sum', 'cdur_n', 'cdur_sum', 'neg_n', 'neg_sum', 'qa_n', 'qa_sum', 'alarms'] as const;
const HOURS = CALL_SUM_FIELDS.map((f) => `SUM(${f}) AS ${f}`).join(', ');
const RAW = `COUNT(*) AS calls, SUM(state = 'active') AS active, COUNT(duration_ms) AS dur_n, TOTAL(duration_ms) AS dur_sum,
  SUM(COALESCE(short, 0) = 0 AND duration_ms IS NOT NULL) AS cdur_n, TOTAL(CASE WHEN COALESCE(short, 0) = 0 THEN duration_ms END) AS cdur_sum,
  SUM(COALESCE(short, 0) = 0 AND neg_end IS NOT NULL) AS neg_n, TOTAL(CASE WHEN COALESCE(short, 0) = 0 THEN neg_end END) AS neg_sum,
  COUNT(qa) AS qa_n, TOTAL(qa) AS qa_sum, TOTAL(alarms) AS alarms`;
const SUM_KEYS = {
  all: { hours: "''", raw: "''" },
  hour: { hours: 'hour', raw: '(started_at / 3600000) * 3600000' },
  agent: { hours: 'agent_id', raw: "COALESCE(agent_id, '')" },
};
export type CallSumsBy = keyof typeof SUM_KEYS;

// With a channel, every read adds one condition (`@channel` bound): the hour tables carry the
// channel since migration 012, the raw edges take it from `calls c`, and answers and alarms from the
// call they are tied to. Each variant is its own statement, prepared once.
const byChannel = (channel: string | undefined, sql: string) => (channel === undefined ? '' : ` AND ${sql}`);
// call_facts (narrow rows, call_facts_call) rather than the wide calls rows: the same channel since 012.
const CALL_OF = (table: string) => `EXISTS (SELECT 1 FROM call_facts cf WHERE cf.call_id = ${table}.call_id AND cf.channel = @channel)`;

// Raw category hits of the calls started in a range (the partial hours at a range's ends).
const RAW_CATEGORIES = (ch?: string) => `SELECT ${CATEGORY_ID} AS id, COUNT(*) AS hits, COUNT(DISTINCT e.call_id) AS calls
  FROM calls c CROSS JOIN call_events e INDEXED BY call_events_category ON e.call_id = c.id
  WHERE e.kind = 'category' AND c.started_at >= @from AND c.started_at < @to AND ${CATEGORY_ID} IS NOT NULL${byChannel(ch, 'c.channel = @channel')} GROUP BY 1`;
const RAW_CATEGORY_HEAT = (ch?: string) => `SELECT CAST(c.started_at / @b AS INTEGER) * @b AS bucket, ${CATEGORY_ID} AS id, COUNT(DISTINCT e.call_id) AS calls
  FROM calls c CROSS JOIN call_events e INDEXED BY call_events_category ON e.call_id = c.id
  WHERE e.kind = 'category' AND c.started_at >= @from AND c.started_at < @to AND ${CATEGORY_ID} IS NOT NULL${byChannel(ch, 'c.channel = @channel')} GROUP BY 1, 2`;
const RAW_EMOTION_MAP = (ch?: string) => `SELECT CAST((c.started_at + u.start_ms) / @b AS INTEGER) * @b AS bucket, u.emotion, COUNT(*) AS n
  FROM calls c CROSS JOIN utterances u ON u.call_id = c.id
  WHERE u.role = 'customer' AND c.started_at >= @from AND c.started_at < @to${byChannel(ch, 'c.channel = @channel')} GROUP BY 1, 2`;

export interface StoredReport {
  id: number;
  period: string;
  start: number;
  end: number;
  createdAt: number;
  createdBy: string;
  lang: string;
  /** JSON text. */
  summary: string;
}
const META = 'id, period, start, end, created_at AS createdAt, created_by AS createdBy, lang, summary';

export class ReportsRepo {
  /** The repository of a connection (the store's, or a read worker's read-only one), made once. */
  static readonly for = perConnection((db) => new ReportsRepo(db));
  readonly #st: LazyStatements;

  constructor(private readonly db: Database.Database) {
    this.#st = new LazyStatements(db);
  }

  /**
   * Runs `hoursSql` over the whole hours and `rawSql` over the edges; rows come back concatenated.
   * Raw queries start from `calls c CROSS JOIN ...`: CROSS JOIN fixes the loop order, so an edge of
   * a few minutes reads those calls' rows even on a database that was never ANALYZEd.
   */
  #hybrid<T>(r: Range, hoursSql: string, rawSql: string, extra: Record<string, unknown> = {}): T[] {
    const { hours, edges } = splitHours(r);
    const out: T[] = [];
    if (hours) out.push(...(this.#st.get(hoursSql).all({ ...hours, ...extra }) as T[]));
    for (const e of edges) out.push(...(this.#st.get(rawSql).all({ ...e, ...extra }) as T[]));
    return out;
  }

  /** Call sums of the calls started in the range (of one channel's if given), per group (unmerged: a group may come in several rows). */
  callSums(r: Range, by: CallSumsBy, channel?: string): CallSumsRow[] {
    const ch = byChannel(channel, 'channel = @channel');
    return this.#hybrid<CallSumsRow>(
      r,
      `SELECT ${SUM_KEYS[by].hours} AS key, ${HOURS} FROM call_hours WHERE hour >= @from AND hour < @to${ch} GROUP BY 1`,
      `SELECT ${SUM_KEYS[by].raw} AS key, ${RAW} FROM call_facts WHERE started_at >= @from AND started_at < @to${ch} GROUP BY 1`,
      channel === undefined ? {} : { channel },
    );
  }

  /** Calls started in the range per channel (calls_channel: one index range per channel). */
  channelMix(r: Range): { channel: string; calls: number }[] {
    return this.#st
      .get(`SELECT channel, COUNT(*) AS calls FROM calls WHERE started_at >= @from AND started_at < @to GROUP BY channel ORDER BY calls DESC, channel`)
      .all(r) as { channel: string; calls: number }[];
  }

  /** NPS answers received in the range per channel of their call ('(unknown)': tied to none); whole days from survey_days (014). */
  npsByChannel(r: Range): { channel: string; responses: number; promoters: number; detractors: number }[] {
    const by = new Map<string, { channel: string; responses: number; promoters: number; detractors: number }>();
    for (const x of SurveysRepo.for(this.db).npsDays('channel', r.from, r.to)) {
      if (x.kind !== 'nps') continue;
      const g = by.get(x.key) ?? by.set(x.key, { channel: x.key, responses: 0, promoters: 0, detractors: 0 }).get(x.key)!;
      g.responses += x.n;
      g.promoters += x.promoters;
      g.detractors += x.detractors;
    }
    return [...by.values()].filter((g) => g.responses > 0);
  }

  /** Utterances of the calls started in the range by role and emotion, with their summed sentiment `s`. */
  emotionTotals(r: Range, channel?: string): { role: string; emotion: string; n: number; s: number }[] {
    return this.#hybrid(
      r,
      `SELECT role, emotion, SUM(n) AS n, SUM(sentiment) AS s FROM emotion_hours
     WHERE call_hour >= @from AND call_hour < @to${byChannel(channel, 'channel = @channel')} GROUP BY role, emotion`,
      `SELECT u.role, u.emotion, COUNT(*) AS n, TOTAL(u.sentiment) AS s FROM calls c CROSS JOIN utterances u ON u.call_id = c.id
     WHERE c.started_at >= @from AND c.started_at < @to${byChannel(channel, 'c.channel = @channel')} GROUP BY u.role, u.emotion`,
      channel === undefined ? {} : { channel },
    );
  }

  /** Customer utterances by emotion per time bucket (utterance time = call start + offset). */
  emotionMap(r: Range, bucketMs: number, channel?: string): { bucket: number; emotion: string; n: number }[] {
    const ch = channel === undefined ? {} : { channel };
    // Hour rows fold into any bucket that is a whole number of hours; other sizes read utterances.
    if (bucketMs % HOUR !== 0) return this.#st.get(RAW_EMOTION_MAP(channel)).all({ ...r, b: bucketMs, ...ch }) as { bucket: number; emotion: string; n: number }[];
    return this.#hybrid(
      r,
      `SELECT CAST(utt_hour / @b AS INTEGER) * @b AS bucket, emotion, SUM(n) AS n FROM emotion_hours
           WHERE role = 'customer' AND call_hour >= @from AND call_hour < @to${byChannel(channel, 'channel = @channel')} GROUP BY 1, 2`,
      RAW_EMOTION_MAP(channel),
      { b: bucketMs, ...ch },
    );
  }

  /** Customer utterances and how many were angry or frustrated, per queue ('-' for none). */
  queueNegatives(r: Range): { key: string; n: number; neg: number }[] {
    return this.#hybrid(
      r,
      `SELECT CASE queue WHEN '' THEN '-' ELSE queue END AS key, SUM(n) AS n, TOTAL(CASE WHEN emotion IN ('angry','frustrated') THEN n END) AS neg
     FROM emotion_hours WHERE role = 'customer' AND call_hour >= @from AND call_hour < @to GROUP BY 1`,
      `SELECT COALESCE(c.queue, '-') AS key, COUNT(*) AS n, SUM(u.emotion IN ('angry','frustrated')) AS neg
     FROM calls c CROSS JOIN utterances u ON u.call_id = c.id
     WHERE u.role = 'customer' AND c.started_at >= @from AND c.started_at < @to GROUP BY 1`,
    );
  }

  /** Alarms raised in the range. */
  alarmCount(r: Range): number {
    return this.#st.pluck('SELECT COUNT(*) FROM alarms WHERE raised_at >= @from AND raised_at < @to').get(r) as number;
  }

  /** Category hits and calls of the calls started in the range (unmerged). */
  categories(r: Range, channel?: string): { id: string; hits: number; calls: number }[] {
    return this.#hybrid(
      r,
      `SELECT category AS id, SUM(hits) AS hits, SUM(calls) AS calls FROM category_hours WHERE call_hour >= @from AND call_hour < @to${byChannel(channel, 'channel = @channel')} GROUP BY 1`,
      RAW_CATEGORIES(channel),
      channel === undefined ? {} : { channel },
    );
  }

  /** Calls with each category per bucket (unmerged). */
  categoryHeat(r: Range, bucketMs: number, channel?: string): { bucket: number; id: string; calls: number }[] {
    const ch = channel === undefined ? {} : { channel };
    // A call starts in one hour, so calls per hour add up to calls per bucket of whole hours.
    if (bucketMs % HOUR !== 0) return this.#st.get(RAW_CATEGORY_HEAT(channel)).all({ ...r, b: bucketMs, ...ch }) as { bucket: number; id: string; calls: number }[];
    return this.#hybrid(
      r,
      `SELECT CAST(call_hour / @b AS INTEGER) * @b AS bucket, category AS id, SUM(calls) AS calls FROM category_hours
       WHERE call_hour >= @from AND call_hour < @to${byChannel(channel, 'channel = @channel')} GROUP BY 1, 2`,
      RAW_CATEGORY_HEAT(channel),
      { b: bucketMs, ...ch },
    );
  }

  /** NPS answers received in the range, per score (of answers tied to one channel's contacts if given). */
  npsScores(r: Range, channel?: string): { score: number; n: number }[] {
    return this.#st
      .get(`SELECT score, COUNT(*) AS n FROM surveys WHERE kind = 'nps' AND received_at >= @from AND received_at < @to${byChannel(channel, CALL_OF('surveys'))} GROUP BY score`)
      .all(channel === undefined ? r : { ...r, channel }) as { score: number; n: number }[];
  }

  /** NPS per bucket (answers received). */
  npsTrend(r: Range, bucketMs: number, channel?: string): { bucket: number; responses: number; nps: number }[] {
    return this.#st
      .get(
        `SELECT CAST(received_at / @b AS INTEGER) * @b AS bucket, COUNT(*) AS responses,
         ROUND(1000.0 * (SUM(${NPS.promoter}) - SUM(${NPS.detractor})) / COUNT(*)) / 10 AS nps
       FROM surveys WHERE kind = 'nps' AND received_at >= @from AND received_at < @to${byChannel(channel, CALL_OF('surveys'))} GROUP BY 1 ORDER BY 1`,
      )
      .all({ ...r, b: bucketMs, ...(channel === undefined ? {} : { channel }) }) as { bucket: number; responses: number; nps: number }[];
  }

  /**
   * NPS answers received in the range tied to calls, with what those calls had, in one statement:
   * the answers (of one channel: their call_facts row's) are read once into a materialized set, and
   * the categories (covering call_events_category index, never the events themselves) and alarm
   * rules are looked up by its distinct call ids. Three separate reads each walked the answers and
   * re-checked every answer's channel (276 ms for 14 days of voice at 200k calls; BENCHMARKS.md).
   */
  npsAnswers(r: Range, channel?: string): { answers: { score: number; id: string; negEnd: number | null }[]; categories: { id: string; v: string | null }[]; rules: { id: string; v: string | null }[] } {
    const rows = this.#st
      .get(
        `WITH a AS MATERIALIZED (SELECT s.score, f.call_id AS id, f.neg_end AS negEnd FROM surveys s CROSS JOIN call_facts f ON f.call_id = s.call_id
           WHERE s.kind = 'nps' AND s.received_at >= @from AND s.received_at < @to${byChannel(channel, 'f.channel = @channel')}),
         ids AS MATERIALIZED (SELECT DISTINCT id FROM a)
       SELECT 0 AS t, id, score, negEnd, NULL AS v FROM a
       UNION ALL SELECT * FROM (SELECT DISTINCT 1, e.call_id, NULL, NULL, ${CATEGORY_ID} FROM ids CROSS JOIN call_events e INDEXED BY call_events_category ON e.call_id = ids.id WHERE e.kind = 'category')
       UNION ALL SELECT * FROM (SELECT DISTINCT 2, x.call_id, NULL, NULL, x.rule FROM ids CROSS JOIN alarms x ON x.call_id = ids.id)`,
      )
      .all(channel === undefined ? r : { ...r, channel }) as { t: 0 | 1 | 2; id: string; score: number; negEnd: number | null; v: string | null }[];
    const answers: { score: number; id: string; negEnd: number | null }[] = [];
    const categories: { id: string; v: string | null }[] = [];
    const rules: { id: string; v: string | null }[] = [];
    for (const x of rows) {
      if (x.t === 0) answers.push({ score: x.score, id: x.id, negEnd: x.negEnd });
      else (x.t === 1 ? categories : rules).push({ id: x.id, v: x.v });
    }
    return { answers, categories, rules };
  }

  /** Alarms raised in the range per rule (highest severity seen), most first; an alarm's channel is its call's. */
  alarmsByRule(r: Range, channel?: string): { rule: string; severity: string; count: number; open: number; acked: number; resolved: number }[] {
    return this.#st
      .get(
        `SELECT rule, CASE MAX(CASE severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) WHEN 2 THEN 'critical' WHEN 1 THEN 'warning' ELSE 'info' END AS severity,
         COUNT(*) AS count, SUM(state = 'open') AS open, SUM(state = 'acked') AS acked, SUM(state = 'resolved') AS resolved
       FROM alarms WHERE raised_at >= @from AND raised_at < @to${byChannel(channel, CALL_OF('alarms'))} GROUP BY rule ORDER BY count DESC, rule`,
      )
      .all(channel === undefined ? r : { ...r, channel }) as { rule: string; severity: string; count: number; open: number; acked: number; resolved: number }[];
  }

  /** An agent's calls started in the range with their QA, negative end, QA cards (JSON) and alarm rules (JSON array). */
  agentCalls(r: Range, agentId: string): { callId: string; startedAt: number; qa: number | null; negEnd: number | null; qaJson: string | null; rules: string }[] {
    return this.#st
      .get(
        `SELECT c.id AS callId, c.started_at AS startedAt, ${CALL_QA} AS qa, ${NEG_END} AS negEnd, json_extract(c.summary, '$.qa') AS qaJson,
         (SELECT json_group_array(DISTINCT a.rule) FROM alarms a WHERE a.call_id = c.id) AS rules
       FROM calls c WHERE c.agent_id = @agentId AND c.started_at >= @from AND c.started_at < @to`,
      )
      .all({ ...r, agentId }) as { callId: string; startedAt: number; qa: number | null; negEnd: number | null; qaJson: string | null; rules: string }[];
  }

  // The reports table: generated reports are kept whole (HTML and CSV) so they read the same later.

  insert(r: Omit<StoredReport, 'id'> & { html: string; csv: string }): number {
    const info = this.#st
      .get('INSERT INTO reports (period, start, end, created_at, created_by, lang, summary, html, csv) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.period, r.start, r.end, r.createdAt, r.createdBy, r.lang, r.summary, r.html, r.csv);
    return Number(info.lastInsertRowid);
  }

  list(f: { period?: string; limit: number }): StoredReport[] {
    return this.#st.get(`SELECT ${META} FROM reports WHERE (@period IS NULL OR period = @period) ORDER BY start DESC, id DESC LIMIT @limit`).all({ period: f.period ?? null, limit: f.limit }) as StoredReport[];
  }

  body(id: number, format: 'html' | 'csv'): (StoredReport & { body: string }) | undefined {
    return this.#st.get(`SELECT ${META}, ${format === 'html' ? 'html' : 'csv'} AS body FROM reports WHERE id = ?`).get(id) as (StoredReport & { body: string }) | undefined;
  }

  hasScheduled(period: string, start: number): boolean {
    return this.#st.get("SELECT 1 FROM reports WHERE period = ? AND start = ? AND created_by = 'scheduler'").get(period, start) !== undefined;
  }
}
