import type Database from 'better-sqlite3';
import { perConnection } from './lazy.js';
import { CATEGORY_ID_SQL } from '../sql.js';

/** A churn seed of the high-risk pool: why a customer who may not have complained is at risk. */
export interface ChurnSeed {
  customerHash: string;
  reason: 'contact-drop' | 'competitor';
  /** contact-drop: calls in the window; competitor: mentions in the window. */
  n: number;
  /** contact-drop: calls in the window before. */
  before?: number;
  lastCallAt: number;
}

/** The KPI stage's reads of call KPIs and churn seeds (rollups, surveys and risk have their own repositories). Statements prepared once. */
export class KpiRepo {
  readonly #callKpis: Database.Statement;
  // Prepared on first use: they read migration 005/009 objects, and a store opened on an older
  // schema (upgrade tests, read-only connections) must still open.
  #churn?: { contactDrop: Database.Statement; competitor: Database.Statement };

  /** The repository of a connection, made once per connection so its statements are prepared once. */
  static readonly for = perConnection((db) => new KpiRepo(db));

  constructor(private readonly db: Database.Database) {
    this.#callKpis = db.prepare("SELECT json_extract(summary, '$.kpi') AS kpi FROM calls WHERE id = ?").pluck();
  }

  #churnStatements(): { contactDrop: Database.Statement; competitor: Database.Statement } {
    const db = this.db;
    // Contact frequency halved: at least `minBefore` calls in the window before, at most half as many in this one.
    const contactDrop = db.prepare(
      `SELECT customer_hash AS customerHash, SUM(started_at >= @since) AS n, SUM(started_at < @since) AS before, MAX(started_at) AS lastCallAt
       FROM call_facts WHERE customer_hash IS NOT NULL AND started_at >= @since - (@until - @since) AND started_at < @until
       GROUP BY customer_hash HAVING before >= @minBefore AND n * 2 <= before`,
    );
    // Competitor named on the customer's calls (partial index of migration 009), counted per mention.
    const competitor = db.prepare(
      `SELECT f.customer_hash AS customerHash, COUNT(*) AS n, MAX(f.started_at) AS lastCallAt
       FROM call_events e INDEXED BY call_events_competitor CROSS JOIN call_facts f ON f.call_id = e.call_id
       WHERE e.kind = 'category' AND ${CATEGORY_ID_SQL} LIKE 'competitor%' AND f.customer_hash IS NOT NULL AND f.started_at >= @since AND f.started_at < @until
       GROUP BY f.customer_hash HAVING n >= @atLeast`,
    );
    return { contactDrop, competitor };
  }

  /**
   * Churn seeds between `since` and `until`: customers whose calls halved against the window of the
   * same length before (from at least `minBefore` calls), and customers who named a competitor at
   * least `atLeast` times.
   */
  churnSeeds(since: number, until: number, opts: { minBefore?: number; atLeast?: number } = {}): ChurnSeed[] {
    this.#churn ??= this.#churnStatements();
    const drop = (this.#churn.contactDrop.all({ since, until, minBefore: opts.minBefore ?? 4 }) as Omit<ChurnSeed, 'reason'>[]).map((r) => ({ ...r, reason: 'contact-drop' as const }));
    const comp = (this.#churn.competitor.all({ since, until, atLeast: opts.atLeast ?? 2 }) as Omit<ChurnSeed, 'reason'>[]).map((r) => ({ ...r, reason: 'competitor' as const }));
    return [...drop, ...comp];
  }

  /**
   * A call's final KPIs as stored in its summary (JSON text): undefined for an unknown call, null
   * while the call has none yet.
   */
  callKpis(callId: string): string | null | undefined {
    return this.#callKpis.get(callId) as string | null | undefined;
  }
}
