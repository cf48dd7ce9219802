// The rule editor's dry runs as read-pool tasks (src/store/read-pool.ts): up to 5,000 stored calls
// replayed through the rules, in a worker thread on a read-only connection instead of the loop that
// carries RTP and SIP. The route validates first on the loop (a cheap parse, so a bad pack is a 422
// at once); the worker builds the same set again from the text, as a compiled set cannot cross a
// thread. The composition root registers this module (`stageTasks`); without it routes read on the loop.
import type Database from 'better-sqlite3';
import type { ReadPool } from '../../store/read-pool.js';
import { compareSets, dryRun, validateWith, type DryRun, type SetComparison } from './packs.js';
import { checkTerms, currentSet, type TermLists } from './site-terms.js';

/** This module, for `stageTasks` and `ReadPool.serves`. */
export const RULE_READS = new URL(import.meta.url);

type Outcome<R> = { ok: true; run: R } | { ok: false; errors: string[] };
export interface PackDryRunArgs { dir: string; id: string; text: string; since: number }
export interface TermsDryRunArgs { dir: string; lists: TermLists; since: number }

export const READS = {
  /** A rule pack's text over the stored calls since `since` (dryRun). */
  'rules.dryRun': (db: Database.Database, a: PackDryRunArgs): Outcome<DryRun> => {
    const v = validateWith(a.dir, db, a.id, a.text);
    return v.ok ? { ok: true, run: dryRun(db, v.set, v.packRules, a.since) } : { ok: false, errors: v.errors };
  },
  /** What site terms would change against the running set (compareSets). */
  'rules.compareTerms': (db: Database.Database, a: TermsDryRunArgs): Outcome<SetComparison> => {
    const v = checkTerms(a.dir, db, a.lists);
    const before = currentSet(a.dir, db);
    if (!v.ok) return { ok: false, errors: v.errors };
    return before ? { ok: true, run: compareSets(db, before, v.set, a.since) } : { ok: false, errors: ['the stored rule set is invalid'] };
  },
};

/** Runs a pack dry run in the pool; `ok: false` when the packs changed under it since the route validated. */
export const poolDryRun = (reads: ReadPool, a: PackDryRunArgs) => reads.runNamed('rules.dryRun', a) as Promise<Outcome<DryRun>>;
export const poolCompareTerms = (reads: ReadPool, a: TermsDryRunArgs) => reads.runNamed('rules.compareTerms', a) as Promise<Outcome<SetComparison>>;
