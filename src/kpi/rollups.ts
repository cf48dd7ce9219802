import type Database from 'better-sqlite3';
import { KpiRollupsRepo, type RollupDim } from '../store/repos/kpi-rollups.js';

export type Bucket = 'minute' | 'hour' | 'day';
export type Dim = RollupDim;
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

/**
 * Recomputes the rollup rows a call belongs to (each bucket size × site/agent/queue) from the
 * calls table. Recomputing a bucket instead of adding to it keeps rows right when a call is
 * re-finalized or an alarm arrives late: rerunning is harmless.
 */
export function rollupCall(db: Database.Database, callId: string, opts: RollupOptions): number {
  const repo = KpiRollupsRepo.for(db);
  const call = repo.call(callId);
  if (!call) return 0;
  let rows = 0;
  repo.transaction(() => {
    for (const bucket of Object.keys(BUCKET_MS) as Bucket[]) {
      const size = BUCKET_MS[bucket];
      const from = Math.floor(call.started_at / size) * size;
      rows += rollupBucket(db, bucket, from, 'site', opts.siteId, opts);
      if (call.agent_id) rows += rollupBucket(db, bucket, from, 'agent', call.agent_id, opts);
      if (call.queue) rows += rollupBucket(db, bucket, from, 'queue', call.queue, opts);
    }
  });
  return rows;
}

export function rollupBucket(db: Database.Database, bucket: Bucket, from: number, dim: Dim, value: string, opts: RollupOptions): number {
  const repo = KpiRollupsRepo.for(db);
  const r = repo.aggregate(dim, { from, to: from + BUCKET_MS[bucket], windowMs: opts.repeatWindowDays * 86_400_000, value });
  if (!r.calls) {
    repo.put(bucket, from, dim, value, null);
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
  repo.put(bucket, from, dim, value, JSON.stringify(m));
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
  return KpiRollupsRepo.for(db)
    .query(q)
    .map((r) => ({ bucket: r.bucket as Bucket, bucketStart: r.bucket_start, dim: r.dim, dimValue: r.dim_value, metrics: JSON.parse(r.metrics) as RollupMetrics }));
}
