import type Database from 'better-sqlite3';
import { stringify } from 'csv-stringify/sync';
import { npsClass, type NpsClass } from './nps.js';
import { KpiRepo, type ChurnSeed } from '../store/repos/kpi.js';
import { RiskRepo, type RiskPoolRow } from '../store/repos/risk.js';
import type { Repos } from '../store/repos/index.js';
import type { Store } from '../store/types.js';

// Detractor root cause and the high-risk customer pool. Customers are known only by their
// salted hash; nothing here returns transcript text, numbers or names.

export interface RootCauseCall {
  callId: string;
  startedAt: number;
  agentId: string | null;
  queue: string | null;
  categories: Record<string, number>;
  /** The customer's most negative utterances (ids to open in the console, time, score, emotion). */
  worstMoments: { utteranceId: number; startMs: number; sentiment: number; emotion: string }[];
  alarms: { id: number; rule: string; severity: string; raisedAt: number }[];
}

export interface RootCause {
  customerHash: string;
  lastNps: { score: number; class: NpsClass; receivedAt: number } | null;
  calls: RootCauseCall[];
  /** Categories and alarm rules over those calls, most frequent first. */
  topCategories: { id: string; hits: number }[];
  topAlarmRules: { rule: string; count: number }[];
}

/** Why a customer is (or would be) a detractor: their last `calls` calls (default 3). */
export function detractorRootCause(src: RiskRepo | Database.Database, customerHash: string, opts: { calls?: number; before?: number } = {}): RootCause {
  const before = opts.before ?? Number.MAX_SAFE_INTEGER;
  const repo = src instanceof RiskRepo ? src : RiskRepo.for(src);
  const nps = repo.lastNps(customerHash, before);
  const calls = repo.recentCalls(customerHash, before, opts.calls ?? 3);
  const out: RootCauseCall[] = calls.map((c) => ({
    callId: c.id,
    startedAt: c.started_at,
    agentId: c.agent_id,
    queue: c.queue,
    categories: Object.fromEntries(repo.categories(c.id).filter((r) => r.id).map((r) => [r.id, r.n])),
    worstMoments: repo.worstMoments(c.id).map((u) => ({ utteranceId: u.id, startMs: u.start_ms, sentiment: u.sentiment, emotion: u.emotion })),
    alarms: repo.alarms(c.id).map((a) => ({ id: a.id, rule: a.rule, severity: a.severity, raisedAt: a.raised_at })),
  }));
  const catTotals = new Map<string, number>();
  const ruleTotals = new Map<string, number>();
  for (const c of out) {
    for (const [id, n] of Object.entries(c.categories)) catTotals.set(id, (catTotals.get(id) ?? 0) + n);
    for (const a of c.alarms) ruleTotals.set(a.rule, (ruleTotals.get(a.rule) ?? 0) + 1);
  }
  return {
    customerHash,
    lastNps: nps ? { score: nps.score, class: npsClass(nps.score), receivedAt: nps.received_at } : null,
    calls: out,
    topCategories: [...catTotals].map(([id, hits]) => ({ id, hits })).sort((a, b) => b.hits - a.hits || a.id.localeCompare(b.id)),
    topAlarmRules: [...ruleTotals].map(([rule, count]) => ({ rule, count })).sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
  };
}

export interface RiskCustomer {
  customerHash: string;
  /** negative calls + 2 × churn signals + 3 if the last NPS answer was a detractor + 2 per churn seed (contact drop, competitor). */
  score: number;
  calls: number;
  negativeCalls: number;
  churnSignals: number;
  lastNps: number | null;
  detractor: boolean;
  lastCallAt: number;
  reasons: ('negative-calls' | 'churn-intent' | 'detractor' | 'contact-drop' | 'competitor')[];
}

/**
 * Customers with negative-ending calls, churn intent (intent events `churn-risk` or categories
 * `churn*`) or a detractor NPS answer since `since`, riskiest first.
 */
export function highRiskCustomers(src: RiskSource, opts: { since: number; limit?: number; maxAgeMs?: number; now?: number }): RiskCustomer[] {
  // The pool reads every customer's calls in the window (~1 s at 1M calls): callers that can show
  // a pool up to `maxAgeMs` old (the API) reuse the last one computed for about the same window.
  const { risk, kpi } = reposOf(src);
  const now = opts.now ?? Date.now();
  const maxAge = opts.maxAgeMs ?? 0;
  const hit = pools.get(risk);
  if (maxAge > 0 && hit && now - hit.at <= maxAge && Math.abs(hit.since - opts.since) <= maxAge) return hit.pool.slice(0, opts.limit ?? 1000);
  const pool = poolOf(risk.pool(opts.since), kpi.churnSeeds(opts.since, Math.max(now, opts.since + 1)));
  if (maxAge > 0) pools.set(risk, { at: now, since: opts.since, pool });
  return pool.slice(0, opts.limit ?? 1000);
}

/** highRiskCustomers with its reads off the event loop when the store has a read pool (the API's path). */
export async function highRiskCustomersOffLoop(store: Pick<Store, 'repos' | 'reads'>, opts: { since: number; limit?: number; maxAgeMs?: number; now?: number }): Promise<RiskCustomer[]> {
  if (!store.reads) return highRiskCustomers(store.repos, opts);
  const now = opts.now ?? Date.now();
  const maxAge = opts.maxAgeMs ?? 0;
  const hit = pools.get(store.repos.risk);
  if (maxAge > 0 && hit && now - hit.at <= maxAge && Math.abs(hit.since - opts.since) <= maxAge) return hit.pool.slice(0, opts.limit ?? 1000);
  const { rows, seeds } = await store.reads.run('kpi.riskPool', { since: opts.since, until: Math.max(now, opts.since + 1) });
  const pool = poolOf(rows, seeds);
  if (maxAge > 0) pools.set(store.repos.risk, { at: now, since: opts.since, pool });
  return pool.slice(0, opts.limit ?? 1000);
}

/** The store's repositories, or a connection to take them from (tests, benches). */
export type RiskSource = Pick<Repos, 'risk' | 'kpi'> | Database.Database;
const reposOf = (src: RiskSource): Pick<Repos, 'risk' | 'kpi'> => ('risk' in src ? src : { risk: RiskRepo.for(src), kpi: KpiRepo.for(src) });

// The last pool per connection (its risk repository is one per connection), on the loop or off it.
const pools = new WeakMap<RiskRepo, { at: number; since: number; pool: RiskCustomer[] }>();

function poolOf(rows: readonly RiskPoolRow[], seeds: readonly ChurnSeed[]): RiskCustomer[] {
  const out: RiskCustomer[] = [];
  for (const r of rows) {
    const detractor = r.nps !== null && npsClass(r.nps) === 'detractor';
    const reasons: RiskCustomer['reasons'] = [];
    if (r.negative > 0) reasons.push('negative-calls');
    if (r.churn > 0) reasons.push('churn-intent');
    if (detractor) reasons.push('detractor');
    if (!reasons.length) continue;
    out.push({ customerHash: r.h, score: r.negative + 2 * r.churn + (detractor ? 3 : 0), calls: r.calls, negativeCalls: r.negative, churnSignals: r.churn, lastNps: r.nps, detractor, lastCallAt: r.last_call, reasons });
  }
  // The churn seeds (src/store/repos/kpi.ts): customers who call half as often as before, or who name
  // a competitor twice, join the pool with that reason even without a complaint.
  const byHash = new Map(out.map((r) => [r.customerHash, r]));
  for (const s of seeds) {
    let r = byHash.get(s.customerHash);
    if (!r) {
      r = { customerHash: s.customerHash, score: 0, calls: s.reason === 'contact-drop' ? s.n : 0, negativeCalls: 0, churnSignals: 0, lastNps: null, detractor: false, lastCallAt: s.lastCallAt, reasons: [] };
      byHash.set(s.customerHash, r);
      out.push(r);
    }
    if (r.reasons.includes(s.reason)) continue;
    r.reasons.push(s.reason);
    r.score += 2;
    r.lastCallAt = Math.max(r.lastCallAt, s.lastCallAt);
  }
  out.sort((a, b) => b.score - a.score || b.lastCallAt - a.lastCallAt);
  return out;
}

/** The pool as CSV for a retention team: hashes and figures only. */
export function highRiskCsv(rows: RiskCustomer[]): string {
  return stringify(
    rows.map((r) => [r.customerHash, r.score, r.calls, r.negativeCalls, r.churnSignals, r.lastNps ?? '', r.detractor ? 'yes' : 'no', new Date(r.lastCallAt).toISOString(), r.reasons.join(' ')]),
    { header: true, columns: ['customer_hash', 'risk_score', 'calls', 'negative_calls', 'churn_signals', 'last_nps', 'detractor', 'last_call_at', 'reasons'] },
  );
}
