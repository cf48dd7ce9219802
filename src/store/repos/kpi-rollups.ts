import type Database from 'better-sqlite3';

export type RollupDim = 'site' | 'agent' | 'queue';

/** One bucket's aggregate over call_facts, before the KPI stage turns it into rollup metrics. */
export interface RollupAggregate {
  calls: number | null;
  counted: number | null;
  aht_ms: number | null;
  sentiment_avg: number | null;
  neg_end_share: number | null;
  alarms: number | null;
  qa_avg: number | null;
  known: number | null;
  repeats: number | null;
}

/** One rollup row to recompute: a bucket [start, end) of the site or of one agent or queue. */
export interface RollupKey {
  bucket: string;
  start: number;
  end: number;
  dim: RollupDim;
  value: string;
}

export interface StoredRollup {
  bucket: string;
  bucket_start: number;
  dim: RollupDim;
  dim_value: string;
  /** The metrics JSON as written. */
  metrics: string;
}

// call_facts (migration 005) holds each call's summary figures and alarm count, so recomputing a
// day bucket at every call end reads narrow rows instead of parsing thousands of summaries.
const AGG = `
  SELECT COUNT(*) AS calls,
    SUM(CASE WHEN f.short = 0 THEN 1 ELSE 0 END) AS counted,
    AVG(CASE WHEN f.short = 0 THEN f.duration_ms END) AS aht_ms,
    AVG(CASE WHEN f.short = 0 THEN f.sentiment END) AS sentiment_avg,
    AVG(CASE WHEN f.short = 0 THEN f.neg_end END) AS neg_end_share,
    COALESCE(SUM(f.alarms), 0) AS alarms,
    AVG(f.qa) AS qa_avg,
    SUM(CASE WHEN f.customer_hash IS NOT NULL THEN 1 ELSE 0 END) AS known,
    SUM(CASE WHEN f.customer_hash IS NOT NULL AND EXISTS (
      SELECT 1 FROM calls p WHERE p.customer_hash = f.customer_hash AND p.id != f.call_id
        AND p.started_at < f.started_at AND p.started_at >= f.started_at - @window) THEN 1 ELSE 0 END) AS repeats
  FROM call_facts f
  WHERE f.started_at >= @from AND f.started_at < @to AND f.state != 'active'`;

function statements(db: Database.Database) {
  return {
    call: db.prepare('SELECT started_at, agent_id, queue FROM calls WHERE id = ?'),
    agg: {
      site: db.prepare(AGG),
      agent: db.prepare(`${AGG} AND f.agent_id = @value`),
      queue: db.prepare(`${AGG} AND f.queue = @value`),
    } satisfies Record<RollupDim, Database.Statement>,
    remove: db.prepare('DELETE FROM kpi_rollups WHERE bucket = ? AND bucket_start = ? AND dim = ? AND dim_value = ?'),
    upsert: db.prepare(
      `INSERT INTO kpi_rollups (bucket, bucket_start, dim, dim_value, metrics) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(bucket, bucket_start, dim, dim_value) DO UPDATE SET metrics = excluded.metrics`,
    ),
    query: db.prepare(
      `SELECT bucket, bucket_start, dim, dim_value, metrics FROM kpi_rollups
       WHERE bucket = ? AND dim = ? AND bucket_start >= ? AND bucket_start < ? AND (? IS NULL OR dim_value = ?)
       ORDER BY bucket_start, dim_value`,
    ),
  };
}

const byConnection = new WeakMap<Database.Database, KpiRollupsRepo>();

/**
 * The KPI stage's rollup table (kpi_rollups) and the call_facts aggregate it is recomputed from.
 * Statements are prepared once per connection, on first use: call_facts comes with migration 005,
 * and a connection to an older schema must still open. Reads also work on a read-only connection.
 */
export class KpiRollupsRepo {
  #s?: ReturnType<typeof statements>;

  static for(db: Database.Database): KpiRollupsRepo {
    let repo = byConnection.get(db);
    if (!repo) byConnection.set(db, (repo = new KpiRollupsRepo(db)));
    return repo;
  }

  private constructor(private readonly db: Database.Database) {}

  get #st(): ReturnType<typeof statements> {
    return (this.#s ??= statements(this.db));
  }

  /** The call's start and the agent and queue its rollup rows are kept under; undefined for an unknown call. */
  call(callId: string): { started_at: number; agent_id: string | null; queue: string | null } | undefined {
    return this.#st.call.get(callId) as { started_at: number; agent_id: string | null; queue: string | null } | undefined;
  }

  /** Finished calls started in [from, to), of the whole site or of one agent or queue; `windowMs` bounds a repeat call. */
  aggregate(dim: RollupDim, q: { from: number; to: number; windowMs: number; value: string }): RollupAggregate {
    return this.#st.agg[dim].get({ from: q.from, to: q.to, window: q.windowMs, value: q.value }) as RollupAggregate;
  }

  /**
   * The aggregates of several rollup rows from one snapshot (one read transaction), in the keys'
   * order: the read the KPI stage runs at each call end, in a read worker when the store has one.
   */
  aggregateAll(keys: readonly RollupKey[], windowMs: number): RollupAggregate[] {
    return this.transaction(() => keys.map((k) => this.aggregate(k.dim, { from: k.start, to: k.end, windowMs, value: k.value })));
  }

  /** Writes (or replaces) one rollup row; `metrics` null removes it. */
  put(bucket: string, start: number, dim: RollupDim, value: string, metrics: string | null): void {
    if (metrics === null) this.#st.remove.run(bucket, start, dim, value);
    else this.#st.upsert.run(bucket, start, dim, value, metrics);
  }

  /** Rows of one bucket size and dimension with bucket_start in [from, to), oldest first. */
  query(q: { bucket: string; dim: RollupDim; from: number; to: number; dimValue?: string }): StoredRollup[] {
    return this.#st.query.all(q.bucket, q.dim, q.from, q.to, q.dimValue ?? null, q.dimValue ?? null) as StoredRollup[];
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
