import type Database from 'better-sqlite3';
import type { EmotionLabel, Severity } from '../call/types.js';
import type { Config } from '../config/schema.js';
import { readFigures } from './kpi-fields.js';
import { EMOTIONS, SEVERITIES, idLabel, nameLabel, type SyncBatch, type SyncCell } from './payload.js';
import { batchIdFor } from './sign.js';
import { noisyCount, secureRandom, summarise } from './stats.js';
import { npsClass } from '../call/nps.js';

export type SyncConfig = Pick<Config, 'site' | 'sync'>;

export interface BuildOptions {
  /** Uniform [0,1) source for the Laplace noise; tests pass a seeded one. */
  random?: () => number;
  /** Called once per value that was skipped as malformed (bounded reason strings). */
  onDrop?: (reason: string) => void;
}

const HOUR = 3_600_000;

// Calls belong to the period in which they ended: once a period is over none of its calls can
// still change, so a batch is final when it is built. Ids are read only to join, never copied out.
// The started_at bound lets SQLite use calls_started (there is no index on ended_at); a call longer
// than MAX_CALL_MS is not reported. CROSS JOIN keeps calls as the outer loop of each join, and
// `+e.kind` stops the planner probing call_events_kind (every category event) once per call.
const MAX_CALL_MS = 2 * 86_400_000;
const ENDED = `c.started_at >= @from - ${MAX_CALL_MS} AND c.started_at < @to
               AND c.ended_at >= @from AND c.ended_at < @to AND c.state <> 'active'`;
const SQL = {
  calls: `SELECT c.id, c.queue, c.agent_id AS agent, c.ended_at AS endedAt, c.duration_ms AS durationMs, c.summary
          FROM calls c WHERE ${ENDED}`,
  categories: `SELECT e.call_id AS callId, e.data FROM calls c CROSS JOIN call_events e ON e.call_id = c.id
               WHERE +e.kind = 'category' AND ${ENDED}`,
  emotions: `SELECT u.call_id AS callId, u.emotion, count(*) AS n FROM calls c CROSS JOIN utterances u ON u.call_id = c.id
             WHERE ${ENDED} GROUP BY u.call_id, u.emotion`,
  alarms: `SELECT a.call_id AS callId, a.rule, a.severity, count(*) AS n FROM calls c CROSS JOIN alarms a ON a.call_id = c.id
           WHERE ${ENDED} GROUP BY a.call_id, a.rule, a.severity`,
  // Surveys count in the hour they arrive, in their call's queue (they often come after the call).
  surveys: `SELECT s.score, s.received_at AS receivedAt, c.queue, c.agent_id AS agent FROM surveys s
            LEFT JOIN calls c ON c.id = s.call_id WHERE s.kind = 'nps' AND s.received_at >= @from AND s.received_at < @to`,
};

interface Acc {
  hour: number;
  queue: string;
  agent?: string;
  calls: number;
  durationMs: number[];
  agentTalkRatio: number[];
  silenceRatio: number[];
  customerSentiment: number[];
  categories: Map<string, Set<string>>;
  emotions: Record<EmotionLabel, number>;
  nps: { promoters: number; passives: number; detractors: number };
  alarms: Map<string, number>;
}

/**
 * Builds the aggregate batch for [fromMs, toMs): per hour, queue (and agent with sync.agentLevel)
 * call counts, KPI means/percentiles, category, emotion, NPS and alarm counts. Cells with fewer than
 * sync.minCellCalls calls are left out, judged on true counts before any noise is added.
 */
export function buildBatch(db: Database.Database, config: SyncConfig, fromMs: number, toMs: number, opts: BuildOptions = {}): SyncBatch {
  const { minCellCalls: min, laplaceEpsilon: eps, agentLevel } = config.sync;
  const drop = opts.onDrop ?? (() => {});
  const noisy = (n: number) => noisyCount(n, eps, opts.random ?? secureRandom);
  const range = { from: fromMs, to: toMs };
  const cells = new Map<string, Acc>();
  const byCall = new Map<string, Acc>();

  const cellFor = (atMs: number, queue: string | null, agent: string | null, create: boolean): Acc | undefined => {
    const hour = Math.floor(atMs / HOUR) * HOUR;
    const q = nameLabel(queue);
    const a = agentLevel ? nameLabel(agent) : undefined;
    const key = JSON.stringify([hour, q, a ?? null]);
    let acc = cells.get(key);
    if (!acc && create) {
      acc = newAcc(hour, q, a);
      cells.set(key, acc);
    }
    return acc;
  };

  // One read transaction: every query sees the same snapshot, even while the store writes.
  db.transaction(() => {
    for (const r of db.prepare(SQL.calls).iterate(range) as Iterable<CallRow>) {
      const acc = cellFor(r.endedAt, r.queue, r.agent, true)!;
      byCall.set(r.id, acc);
      acc.calls++;
      const f = readFigures(r.summary, r.durationMs, drop);
      if (f.short) continue;
      for (const k of ['durationMs', 'agentTalkRatio', 'silenceRatio', 'customerSentiment'] as const) {
        const v = f[k];
        if (v !== undefined) acc[k].push(v);
      }
    }
    for (const r of db.prepare(SQL.categories).iterate(range) as Iterable<{ callId: string; data: string | null }>) {
      const id = idLabel(categoryOf(r.data));
      if (!id) {
        drop('category-id');
        continue;
      }
      const acc = byCall.get(r.callId)!;
      let set = acc.categories.get(id);
      if (!set) acc.categories.set(id, (set = new Set()));
      set.add(r.callId);
    }
    for (const r of db.prepare(SQL.emotions).iterate(range) as Iterable<{ callId: string; emotion: string; n: number }>) {
      if ((EMOTIONS as readonly string[]).includes(r.emotion)) byCall.get(r.callId)!.emotions[r.emotion as EmotionLabel] += r.n;
      else drop('emotion-label');
    }
    for (const r of db.prepare(SQL.alarms).iterate(range) as Iterable<{ callId: string; rule: string; severity: string; n: number }>) {
      const rule = idLabel(r.rule);
      if (!rule || !(SEVERITIES as readonly string[]).includes(r.severity)) {
        drop('alarm-rule');
        continue;
      }
      const alarms = byCall.get(r.callId)!.alarms;
      const key = `${rule}\u0000${r.severity}`;
      alarms.set(key, (alarms.get(key) ?? 0) + r.n);
    }
    for (const r of db.prepare(SQL.surveys).iterate(range) as Iterable<{ score: number; receivedAt: number; queue: string | null; agent: string | null }>) {
      const acc = cellFor(r.receivedAt, r.queue, r.agent, false);
      if (!acc) continue; // no call ended in that cell this hour: too small to report
      if (!Number.isInteger(r.score) || r.score < 0 || r.score > 10) drop('nps-score');
      else acc.nps[`${npsClass(r.score)}s`]++;
    }
  })();

  const out: SyncCell[] = [];
  let suppressed = 0;
  for (const acc of [...cells.values()].sort(byCell)) {
    if (acc.calls < min) {
      suppressed++;
      continue;
    }
    out.push(toCell(acc, min, noisy));
  }
  return {
    v: 1,
    batchId: batchIdFor(config.site.id, fromMs, toMs),
    siteId: config.site.id,
    period: { from: fromMs, to: toMs },
    privacy: { minCellCalls: min, laplaceEpsilon: eps, agentLevel, suppressedCells: suppressed },
    cells: out,
  };
}

// Built field by field (the allow-list): a value reaches the payload only if it is named here.
function toCell(acc: Acc, min: number, noisy: (n: number) => number): SyncCell {
  const kpi: SyncCell['kpi'] = {};
  const decimals = { durationMs: 0, agentTalkRatio: 4, silenceRatio: 4, customerSentiment: 4 } as const;
  for (const k of ['durationMs', 'agentTalkRatio', 'silenceRatio', 'customerSentiment'] as const) {
    if (acc[k].length >= min) kpi[k] = summarise(acc[k], decimals[k]);
  }
  const categories: Record<string, number> = {};
  for (const [id, calls] of [...acc.categories].sort(([a], [b]) => (a < b ? -1 : 1))) categories[id] = noisy(calls.size);
  const emotions = Object.fromEntries(EMOTIONS.map((e) => [e, noisy(acc.emotions[e])])) as Record<EmotionLabel, number>;
  const cell: SyncCell = { hour: acc.hour, queue: acc.queue, calls: noisy(acc.calls), kpi, categories, emotions, alarms: [] };
  if (acc.agent !== undefined) cell.agent = acc.agent;
  const { promoters, passives, detractors } = acc.nps;
  if (promoters + passives + detractors >= min) {
    cell.nps = { promoters: noisy(promoters), passives: noisy(passives), detractors: noisy(detractors) };
  }
  for (const [key, n] of [...acc.alarms].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [rule, severity] = key.split('\u0000') as [string, Severity];
    cell.alarms.push({ rule, severity, count: noisy(n) });
  }
  return cell;
}

interface CallRow {
  id: string;
  queue: string | null;
  agent: string | null;
  endedAt: number;
  durationMs: number | null;
  summary: string | null;
}

function newAcc(hour: number, queue: string, agent: string | undefined): Acc {
  return {
    hour,
    queue,
    agent,
    calls: 0,
    durationMs: [],
    agentTalkRatio: [],
    silenceRatio: [],
    customerSentiment: [],
    categories: new Map(),
    emotions: { angry: 0, frustrated: 0, neutral: 0, satisfied: 0 },
    nps: { promoters: 0, passives: 0, detractors: 0 },
    alarms: new Map(),
  };
}

/** The category an event names (analysis puts it in data.category, data.rule or data.id). */
function categoryOf(data: string | null): unknown {
  if (!data) return undefined;
  try {
    const d = JSON.parse(data) as Record<string, unknown> | null;
    return d?.category ?? d?.rule ?? d?.id;
  } catch {
    return undefined;
  }
}

function byCell(a: Acc, b: Acc): number {
  return a.hour - b.hour || cmp(a.queue, b.queue) || cmp(a.agent ?? '', b.agent ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
