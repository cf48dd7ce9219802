// Named read tasks the read pool's workers run: pure `(db, args) => result` over a read-only
// connection. Register a repository's heavy query here, then call `store.reads.run(name, args)`
// instead of running it on the event loop. A stage's reads that need the stage's own code (reports,
// dry runs) live in the stage's folder as a tasks module the composition root adds (`stageTasks`). Arguments and results cross a thread boundary
// (structured clone): plain data only.
import type Database from 'better-sqlite3';
import { KpiRepo, type ChurnSeed } from '../repos/kpi.js';
import { KpiRollupsRepo, type RollupAggregate, type RollupKey } from '../repos/kpi-rollups.js';
import { RiskRepo, type RiskPoolRow } from '../repos/risk.js';
import { SurveysRepo, type NpsBy, type NpsDayRow, type NpsSampleRow } from '../repos/surveys.js';

export type ReadTask<A = unknown, R = unknown> = (db: Database.Database, args: A) => R;

export const READS = {
  // The KPI stage's heavy reads (src/kpi runs them here when the store has a read pool).
  /** NPS/CSAT day groups (SurveysRepo.npsDays). */
  'kpi.npsDays': ((db, a: { by: NpsBy; from: number; to: number; channel?: string }) => SurveysRepo.for(db).npsDays(a.by, a.from, a.to, a.channel)) as ReadTask<{ by: NpsBy; from: number; to: number; channel?: string }, NpsDayRow[]>,
  /** The NPS model's training rows (SurveysRepo.npsSamples). */
  'kpi.npsSamples': ((db, a: { n: number }) => SurveysRepo.for(db).npsSamples(a.n)) as ReadTask<{ n: number }, NpsSampleRow[]>,
  /** The rollup rows' aggregates a call end recomputes (KpiRollupsRepo.aggregateAll; ~40 ms at 1M calls). */
  'kpi.rollupAggregates': ((db, a: { keys: RollupKey[]; windowMs: number }) => KpiRollupsRepo.for(db).aggregateAll(a.keys, a.windowMs)) as ReadTask<{ keys: RollupKey[]; windowMs: number }, RollupAggregate[]>,
  /** The high-risk pool's rows and churn seeds (~1 s at 1M calls). */
  'kpi.riskPool': ((db, a: { since: number; until: number }) => ({ rows: RiskRepo.for(db).pool(a.since), seeds: KpiRepo.for(db).churnSeeds(a.since, a.until) })) as ReadTask<{ since: number; until: number }, { rows: RiskPoolRow[]; seeds: ChurnSeed[] }>,
} satisfies Record<string, ReadTask<never, unknown>>;

export type ReadName = keyof typeof READS;
