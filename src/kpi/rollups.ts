import type Database from 'better-sqlite3';

export type Bucket = 'minute' | 'hour' | 'day';
export type Dim = 'site' | 'agent' | 'queue';
export const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** What one kpi_rollups row's `metrics` JSON holds. Means leave out short calls (kpi.short). */
export interface RollupMetrics {
  calls: number;
  /** Calls long enough to enter the means. */
  counted: number;
  aht_ms: number | null;
  sentiment_avg: number | null;
  neg_end_share: number | null;
  alarms: number;
  /** Mean over calls of each call's mean scorecard score (summary.qa[].score, 0-100). */
  qa_avg: number | null;
  /** Share of calls (with a known customer) whose customer called before within repeatWindowDays. */
  repeat_rate: number | null;
}

export interface RollupOptions {
  siteId: string;
  repeatWindowDays: number;
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

/**
 * Recomputes the rollup rows a call belongs to (each bucket size × site/agent/queue) from the
 * calls table. Recomputing a bucket instead of adding to it keeps rows right when a call is
 * re-finalized or an alarm arrives late: rerunning is harmless.
 */
export function rollupCall(db: Database.Database, callId: string, opts: RollupOptions): number {
  const call = db.prepare('SELECT started_at, agent_id, queue FROM calls WHERE id = ?').get(callId) as
    | { started_at: number; agent_id: string | null; queue: string | null }
    | undefined;
  if (!call) return 0;
  let rows = 0;
  const tx = db.transaction(() => {
    for (const bucket of Object.keys(BUCKET_MS) as Bucket[]) {
      const size = BUCKET_MS[bucket];
      const from = Math.floor(call.started_at / size) * size;
      rows += rollupBucket(db, bucket, from, 'site', opts.siteId, opts);
      if (call.agent_id) rows += rollupBucket(db, bucket, from, 'agent', call.agent_id, opts);
      if (call.queue) rows += rollupBucket(db, bucket, from, 'queue', call.queue, opts);
    }
  });
  tx();
  return rows;
}

export function rollupBucket(db: Database.Database, bucket: Bucket, from: number, dim: Dim, value: string, opts: RollupOptions): number {
  const cond = dim === 'agent' ? ' AND f.agent_id = @value' : dim === 'queue' ? ' AND f.queue = @value' : '';
  const r = db.prepare(AGG + cond).get({ from, to: from + BUCKET_MS[bucket], window: opts.repeatWindowDays * 86_400_000, value }) as Record<string, number | null>;
  if (!r.calls) {
    db.prepare('DELETE FROM kpi_rollups WHERE bucket = ? AND bucket_start = ? AND dim = ? AND dim_value = ?').run(bucket, from, dim, value);
    return 0;
  }
  const m: RollupMetrics = {
    calls: r.calls ?? 0,
    counted: r.counted ?? 0,
    aht_ms: r.aht_ms === null ? null : Math.round(r.aht_ms),
    sentiment_avg: r.sentiment_avg,
    neg_end_share: r.neg_end_share,
    alarms: r.alarms ?? 0,
    qa_avg: r.qa_avg,
    repeat_rate: r.known ? (r.repeats ?? 0) / r.known : null,
  };
  db.prepare(
    `INSERT INTO kpi_rollups (bucket, bucket_start, dim, dim_value, metrics) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(bucket, bucket_start, dim, dim_value) DO UPDATE SET metrics = excluded.metrics`,
  ).run(bucket, from, dim, value, JSON.stringify(m));
  return 1;
}

export interface RollupRow {
  bucket: Bucket;
  bucketStart: number;
  dim: Dim;
  dimValue: string;
  metrics: RollupMetrics;
}

/** Rollup rows for the console and sync, oldest first. */
export function queryRollups(db: Database.Database, q: { bucket: Bucket; dim: Dim; from: number; to: number; dimValue?: string }): RollupRow[] {
  const rows = db
    .prepare(
      `SELECT bucket, bucket_start, dim, dim_value, metrics FROM kpi_rollups
       WHERE bucket = ? AND dim = ? AND bucket_start >= ? AND bucket_start < ? AND (? IS NULL OR dim_value = ?)
       ORDER BY bucket_start, dim_value`,
    )
    .all(q.bucket, q.dim, q.from, q.to, q.dimValue ?? null, q.dimValue ?? null) as { bucket: Bucket; bucket_start: number; dim: Dim; dim_value: string; metrics: string }[];
  return rows.map((r) => ({ bucket: r.bucket, bucketStart: r.bucket_start, dim: r.dim, dimValue: r.dim_value, metrics: JSON.parse(r.metrics) as RollupMetrics }));
}
