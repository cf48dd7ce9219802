import { connectionOf } from '../store/store.js';
import type { Store } from '../store/types.js';
import { rollupBucket, rollupCall, type Bucket, type Dim, type RollupOptions } from './rollups.js';

// The rollups over a store instead of its connection, for callers outside the KPI stage (care's demo
// back-fill and purge). Transitional (issue 16): rollupCall/rollupBucket still take a connection and
// the channel2 branch reshapes them this round; at merge these two bodies call the new signatures with
// the store's repositories and connectionOf leaves this file (test/store/boundary.test.ts lists it).

/** rollupCall for a stored call: its rollup rows recomputed. */
export function rollupStoredCall(store: Pick<Store, 'repos'>, callId: string, opts: RollupOptions): number {
  return rollupCall(connectionOf(store), callId, opts);
}

/** rollupBucket: one bucket's row recomputed. */
export function rollupStoredBucket(store: Pick<Store, 'repos'>, bucket: Bucket, from: number, dim: Dim, value: string, opts: RollupOptions): number {
  return rollupBucket(connectionOf(store), bucket, from, dim, value, opts);
}
