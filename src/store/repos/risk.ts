import type Database from 'better-sqlite3';
import { CATEGORY_ID_SQL, npsSql } from '../sql.js';
import { LazyStatements, perConnection } from './lazy.js';

/** One customer of the high-risk pool's first read: figures per salted customer hash, nothing else. */
export interface RiskPoolRow {
  h: string;
  calls: number;
  last_call: number;
  negative: number;
  churn: number;
  nps: number | null;
}

const DETRACTOR = npsSql('n.score').detractor;

const SQL = {
  lastNps: "SELECT score, received_at FROM surveys WHERE customer_hash = ? AND kind = 'nps' AND received_at <= ? ORDER BY received_at DESC LIMIT 1",
  calls: 'SELECT id, started_at, agent_id, queue FROM calls WHERE customer_hash = ? AND started_at <= ? ORDER BY started_at DESC LIMIT ?',
  categories: `SELECT ${CATEGORY_ID_SQL} AS id, COUNT(*) AS n FROM call_events e WHERE e.call_id = ? AND e.kind = 'category' GROUP BY 1`,
  worst: "SELECT id, start_ms, sentiment, emotion FROM utterances WHERE call_id = ? AND role = 'customer' AND sentiment < 0 ORDER BY sentiment, start_ms LIMIT 3",
  alarms: 'SELECT id, rule, severity, raised_at FROM alarms WHERE call_id = ? ORDER BY raised_at',
  pool:
    // call_facts (migration 005) carries negativeEnd, so no summary JSON is parsed; churn signals are
    // found through two partial indexes of call_events (INDEXED BY: a scan of every event is never right).
    `WITH recent AS (
         SELECT customer_hash AS h, COUNT(*) AS calls, MAX(started_at) AS last_call, SUM(CASE WHEN neg_end = 1 THEN 1 ELSE 0 END) AS negative
         FROM call_facts WHERE customer_hash IS NOT NULL AND started_at >= @since GROUP BY customer_hash),
       signals AS (
         SELECT e.call_id FROM call_events e INDEXED BY call_events_churn_intent WHERE e.kind = 'intent' AND CASE WHEN json_valid(e.data) THEN json_extract(e.data, '$.intent') END = 'churn-risk'
         UNION ALL
         SELECT e.call_id FROM call_events e INDEXED BY call_events_churn_category WHERE e.kind = 'category' AND ${CATEGORY_ID_SQL} LIKE 'churn%'),
       -- MATERIALIZED: computed once and joined through an automatic index (as a correlated
       -- subquery SQLite re-ran it for every customer).
       churn AS MATERIALIZED (
         SELECT f.customer_hash AS h, COUNT(*) AS n FROM signals x CROSS JOIN call_facts f ON f.call_id = x.call_id
         WHERE f.customer_hash IS NOT NULL AND f.started_at >= @since GROUP BY f.customer_hash),
       nps AS MATERIALIZED (
         SELECT customer_hash AS h, score, MAX(received_at) FROM surveys
         WHERE kind = 'nps' AND customer_hash IS NOT NULL AND received_at >= @since GROUP BY customer_hash)
       SELECT r.h, r.calls, r.last_call, r.negative, COALESCE(c.n, 0) AS churn, n.score AS nps
       FROM recent r LEFT JOIN churn c ON c.h = r.h LEFT JOIN nps n ON n.h = r.h
       WHERE r.negative > 0 OR c.n > 0 OR ${DETRACTOR}`,
} as const;

/**
 * The KPI stage's customer-risk reads: a customer's recent calls for a detractor's root cause, and
 * the high-risk pool. Customers are known only by their salted hash; nothing here reads transcript
 * text. Statements are prepared once per connection, on first use (the pool reads migration 005's
 * call_facts and partial indexes; a connection to an older schema must still open).
 */
export class RiskRepo {
  static readonly for = perConnection((db) => new RiskRepo(db));
  readonly #st: LazyStatements;

  private constructor(db: Database.Database) {
    this.#st = new LazyStatements(db);
  }

  /** The customer's latest NPS answer received at or before `before`. */
  lastNps(customerHash: string, before: number): { score: number; received_at: number } | undefined {
    return this.#st.get(SQL.lastNps).get(customerHash, before) as { score: number; received_at: number } | undefined;
  }

  /** The customer's latest `n` calls started at or before `before`, newest first. */
  recentCalls(customerHash: string, before: number, n: number): { id: string; started_at: number; agent_id: string | null; queue: string | null }[] {
    return this.#st.get(SQL.calls).all(customerHash, before, n) as { id: string; started_at: number; agent_id: string | null; queue: string | null }[];
  }

  /** Category hits of a call (id null: an event that names none). */
  categories(callId: string): { id: string | null; n: number }[] {
    return this.#st.get(SQL.categories).all(callId) as { id: string | null; n: number }[];
  }

  /** The customer's three most negative utterances of a call (ids and figures, no text). */
  worstMoments(callId: string): { id: number; start_ms: number; sentiment: number; emotion: string }[] {
    return this.#st.get(SQL.worst).all(callId) as { id: number; start_ms: number; sentiment: number; emotion: string }[];
  }

  alarms(callId: string): { id: number; rule: string; severity: string; raised_at: number }[] {
    return this.#st.get(SQL.alarms).all(callId) as { id: number; rule: string; severity: string; raised_at: number }[];
  }

  /** Customers with calls since `since` that ended negative, carry churn signals, or whose last NPS answer is a detractor's. */
  pool(since: number): RiskPoolRow[] {
    return this.#st.get(SQL.pool).all({ since }) as RiskPoolRow[];
  }
}
