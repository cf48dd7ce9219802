import type Database from 'better-sqlite3';
import { perConnection } from './lazy.js';
import { npsSql } from '../sql.js';

/** What NPS is grouped by; 'channel' is the channel of the survey's call (migration 008). */
export type NpsBy = 'agent' | 'queue' | 'site' | 'channel';

/** One (UTC day, key, kind) group of survey answers. */
export interface NpsDayRow {
  day: number;
  /** Agent id, queue or channel; 'site'; '(unknown)' for answers not tied to a call with one. */
  key: string;
  kind: string;
  n: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** Sum of the scores (CSAT mean). */
  total: number;
}

/** A call with both final KPIs (JSON text) and an NPS answer: its latest score is the label. */
export interface NpsSampleRow {
  id: string;
  kpi: string;
  score: number;
}

const DAY = 86_400_000;
const NPS = npsSql('s.score');
// survey_days (migration 005; channel since 014) for whole days; the answers themselves for the
// partial days at a range's ends (surveys_received covers the range, the join reads the call by key).
const KEY: Record<NpsBy, { days: string; raw: string; join: string }> = {
  site: { days: "'site'", raw: "'site'", join: '' },
  agent: { days: "COALESCE(NULLIF(agent_id, ''), '(unknown)')", raw: "COALESCE(f.agent_id, '(unknown)')", join: ' LEFT JOIN call_facts f ON f.call_id = s.call_id' },
  queue: { days: "COALESCE(NULLIF(queue, ''), '(unknown)')", raw: "COALESCE(f.queue, '(unknown)')", join: ' LEFT JOIN call_facts f ON f.call_id = s.call_id' },
  channel: { days: "COALESCE(NULLIF(channel, ''), '(unknown)')", raw: "COALESCE(c.channel, '(unknown)')", join: ' LEFT JOIN calls c ON c.id = s.call_id' },
};

function statements(db: Database.Database) {
  // `channel`: only answers whose call is on that channel (calls.channel, migration 008).
  const raw = (by: NpsBy, channel: boolean) =>
    db.prepare(
      `SELECT (s.received_at / ${DAY}) * ${DAY} AS day, ${KEY[by].raw} AS key, s.kind, COUNT(*) AS n,
         SUM(${NPS.promoter}) AS promoters, SUM(${NPS.passive}) AS passives, SUM(${NPS.detractor}) AS detractors, TOTAL(s.score) AS total
       FROM surveys s${KEY[by].join}${channel && by !== 'channel' ? ' JOIN calls c ON c.id = s.call_id' : ''}
       WHERE s.kind IN ('nps', 'csat') AND s.received_at >= ? AND s.received_at < ?${channel ? ' AND c.channel = ?' : ''} GROUP BY 1, 2, 3`,
    );
  const days = (by: NpsBy, channel: boolean) =>
    db.prepare(
      `SELECT day, ${KEY[by].days} AS key, kind, SUM(n) AS n, SUM(promoters) AS promoters, SUM(passives) AS passives,
         SUM(detractors) AS detractors, SUM(score_sum) AS total
       FROM survey_days WHERE day >= ? AND day < ?${channel ? ' AND channel = ?' : ''} GROUP BY 1, 2, 3`,
    );
  return { raw, days };
}

/**
 * Survey answers (NPS, CSAT) and the NPS reads over them. Statements are prepared once per
 * connection, each on first use (survey_days and call_facts come with migration 005, calls.channel
 * with 008: a connection to an older schema still opens). The reads work on a read-only connection.
 */
export class SurveysRepo {
  #write?: { callCustomer: Database.Statement; latestCall: Database.Statement; insert: Database.Statement };
  #samples?: Database.Statement;
  readonly #raw = new Map<string, Database.Statement>();
  readonly #days = new Map<string, Database.Statement>();
  #build?: ReturnType<typeof statements>;

  /** The repository of a connection (the store's, or a worker's read-only one), made once. */
  static readonly for = perConnection((db) => new SurveysRepo(db));

  private constructor(private readonly db: Database.Database) {}

  get #w() {
    return (this.#write ??= {
      callCustomer: this.db.prepare('SELECT customer_hash FROM calls WHERE id = ?'),
      latestCall: this.db.prepare('SELECT id FROM calls WHERE customer_hash = ? AND started_at <= ? AND started_at >= ? ORDER BY started_at DESC LIMIT 1').pluck(),
      insert: this.db.prepare('INSERT INTO surveys (call_id, customer_hash, kind, score, received_at, source) VALUES (?, ?, ?, ?, ?, ?)'),
    });
  }

  /** The customer hash of a call: undefined for an unknown call, null when it has none. */
  callCustomer(callId: string): string | null | undefined {
    return (this.#w.callCustomer.get(callId) as { customer_hash: string | null } | undefined)?.customer_hash;
  }

  /** The customer's latest call started in [since, at]; undefined for none. */
  latestCallOf(customerHash: string, at: number, since: number): string | undefined {
    return this.#w.latestCall.get(customerHash, at, since) as string | undefined;
  }

  /** Stores one answer as given (validated by the KPI stage); returns its id. */
  insert(s: { callId: string | null; customerHash: string | null; kind: string; score: number; receivedAt: number; source: string }): number {
    return Number(this.#w.insert.run(s.callId, s.customerHash, s.kind, s.score, s.receivedAt, s.source).lastInsertRowid);
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * NPS and CSAT answers received in [from, to) by UTC day and key, of every channel or of one.
   * Whole days come from survey_days (kept by triggers), the partial days at either end from the
   * answers themselves: exact for any range, and all-time reads days, not every answer. By channel
   * and for one channel too (survey_days.channel, migration 014).
   */
  npsDays(by: NpsBy, from: number, to: number, channel?: string): NpsDayRow[] {
    this.#build ??= statements(this.db);
    const b = this.#build;
    const id = `${by}:${channel === undefined ? '' : 'channel'}`;
    const raw = this.#raw.get(id) ?? this.#raw.set(id, b.raw(by, channel !== undefined)).get(id)!;
    const range = (a: number, z: number) => (channel === undefined ? raw.all(a, z) : raw.all(a, z, channel)) as NpsDayRow[];
    const d0 = Math.ceil(from / DAY) * DAY;
    const d1 = Math.floor(to / DAY) * DAY;
    if (d1 <= d0) return range(from, to);
    const days = this.#days.get(id) ?? this.#days.set(id, b.days(by, channel !== undefined)).get(id)!;
    const rows = (channel === undefined ? days.all(d0, d1) : days.all(d0, d1, channel)) as NpsDayRow[];
    if (from < d0) rows.push(...range(from, d0));
    if (d1 < to) rows.push(...range(d1, to));
    return rows;
  }

  /** Calls with both a KPI summary and an NPS answer (the latest answer per call), newest first, at most `n`. */
  npsSamples(n: number): NpsSampleRow[] {
    this.#samples ??= this.db.prepare(
      // Newest answered calls first, walking call_facts (migration 005) backwards: it stops after
      // `n` instead of grouping every answer ever received. `LIMIT -1` keeps the subquery a
      // co-routine in start order (not flattened into a full scan and sort). The latest answer of a
      // call is its label.
      `SELECT x.call_id AS id, json_extract(c.summary, '$.kpi') AS kpi,
         (SELECT s.score FROM surveys s WHERE s.call_id = x.call_id AND s.kind = 'nps' ORDER BY s.received_at DESC, s.id DESC LIMIT 1) AS score
       FROM (SELECT f.call_id, f.started_at FROM call_facts f
             WHERE EXISTS (SELECT 1 FROM surveys s WHERE s.call_id = f.call_id AND s.kind = 'nps')
             ORDER BY f.started_at DESC LIMIT -1) x
       CROSS JOIN calls c ON c.id = x.call_id
       WHERE c.summary IS NOT NULL AND json_extract(c.summary, '$.kpi') IS NOT NULL
       LIMIT @n`,
    );
    return this.#samples.all({ n }) as NpsSampleRow[];
  }
}
