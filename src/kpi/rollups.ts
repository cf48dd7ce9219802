import type Database from 'better-sqlite3';
import { KpiRollupsRepo, type RollupAggregate, type RollupDim, type RollupKey } from '../store/repos/kpi-rollups.js';

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

/** The KPI stage's rollup repository, or a connection to take it from (tools, benches, the demo). */
export type RollupSource = KpiRollupsRepo | Database.Database;
const repoOf = (src: RollupSource): KpiRollupsRepo => (src instanceof KpiRollupsRepo ? src : KpiRollupsRepo.for(src));

/** The rollup rows a call belongs to: each bucket size × the site, its agent and its queue. */
export function rollupKeys(call: { started_at: number; agent_id: string | null; queue: string | null }, siteId: string): RollupKey[] {
  const keys: RollupKey[] = [];
  for (const bucket of Object.keys(BUCKET_MS) as Bucket[]) {
    const size = BUCKET_MS[bucket];
    const start = Math.floor(call.started_at / size) * size;
    const at = { bucket, start, end: start + size };
    keys.push({ ...at, dim: 'site', value: siteId });
    if (call.agent_id) keys.push({ ...at, dim: 'agent', value: call.agent_id });
    if (call.queue) keys.push({ ...at, dim: 'queue', value: call.queue });
  }
  return keys;
}

/** One row's metrics from its aggregate; null for a bucket with no finished call (the row goes). */
export function rollupMetrics(r: RollupAggregate): RollupMetrics | null {
  if (!r.calls) return null;
  return {
    calls: r.calls ?? 0,
    counted: r.counted ?? 0,
    aht_ms: r.aht_ms === null ? null : Math.round(r.aht_ms),
    sentiment_avg: r.sentiment_avg,
    neg_end_share: r.neg_end_share,
    alarms: r.alarms ?? 0,
    qa_avg: r.qa_avg,
    repeat_rate: r.known ? (r.repeats ?? 0) / r.known : null,
  };
}

/** Writes the rows of `keys` from their aggregates in one transaction; returns the rows kept. */
export function writeRollups(src: RollupSource, keys: readonly RollupKey[], aggs: readonly RollupAggregate[]): number {
  const repo = repoOf(src);
  let rows = 0;
  repo.transaction(() => {
    keys.forEach((k, i) => {
      const m = rollupMetrics(aggs[i]!);
      repo.put(k.bucket, k.start, k.dim, k.value, m && JSON.stringify(m));
      if (m) rows++;
    });
  });
  return rows;
}

/**
 * Recomputes the rollup rows a call belongs to (each bucket size × site/agent/queue) from
 * call_facts, on this thread. Recomputing a bucket instead of adding to it keeps rows right when a
 * call is re-finalized or an alarm arrives late: rerunning is harmless. The KPI stage runs the read
 * in a read worker when the store has a read pool (src/kpi/rollup-queue.ts).
 */
export function rollupCall(src: RollupSource, callId: string, opts: RollupOptions): number {
  const repo = repoOf(src);
  const call = repo.call(callId);
  if (!call) return 0;
  const keys = rollupKeys(call, opts.siteId);
  return repo.transaction(() => writeRollups(repo, keys, repo.aggregateAll(keys, opts.repeatWindowDays * 86_400_000)));
}

export function rollupBucket(src: RollupSource, bucket: Bucket, from: number, dim: Dim, value: string, opts: RollupOptions): number {
  const key: RollupKey = { bucket, start: from, end: from + BUCKET_MS[bucket], dim, value };
  const repo = repoOf(src);
  return writeRollups(repo, [key], repo.aggregateAll([key], opts.repeatWindowDays * 86_400_000));
}

export interface RollupRow {
  bucket: Bucket;
  bucketStart: number;
  dim: Dim;
  dimValue: string;
  metrics: RollupMetrics;
}

/** Rollup rows for the console and sync, oldest first. */
export function queryRollups(src: RollupSource, q: { bucket: Bucket; dim: Dim; from: number; to: number; dimValue?: string }): RollupRow[] {
  return repoOf(src)
    .query(q)
    .map((r) => ({ bucket: r.bucket as Bucket, bucketStart: r.bucket_start, dim: r.dim, dimValue: r.dim_value, metrics: JSON.parse(r.metrics) as RollupMetrics }));
}
