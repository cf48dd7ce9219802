import type { Store } from '../store/types.js';
import { rollupBucket, rollupCall, type Bucket, type Dim, type RollupOptions } from './rollups.js';

// The rollups over a store's repositories, for callers outside the KPI stage (care's demo back-fill and purge).

/** rollupCall for a stored call: its rollup rows recomputed. */
export function rollupStoredCall(store: Pick<Store, 'repos'>, callId: string, opts: RollupOptions): number {
  return rollupCall(store.repos.kpiRollups, callId, opts);
}

/** rollupBucket: one bucket's row recomputed. */
export function rollupStoredBucket(store: Pick<Store, 'repos'>, bucket: Bucket, from: number, dim: Dim, value: string, opts: RollupOptions): number {
  return rollupBucket(store.repos.kpiRollups, bucket, from, dim, value, opts);
}
