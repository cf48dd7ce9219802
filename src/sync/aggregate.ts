import type Database from 'better-sqlite3';
import type { EmotionLabel, Severity } from '../call/types.js';
import type { Config } from '../config/schema.js';
import { readFigures } from './kpi-fields.js';
import { EMOTIONS, SEVERITIES, idLabel, nameLabel, type SyncBatch, type SyncCell } from './payload.js';
import { batchIdFor } from './sign.js';
import { noisyCount, secureRandom, summarise } from './stats.js';
import { npsClass } from '../call/nps.js';
import { SyncBatchRepo } from '../store/repos/sync-batch.js';

export type SyncConfig = Pick<Config, 'site' | 'sync'>;

export interface BuildOptions {
  /** Uniform [0,1) source for the Laplace noise; tests pass a seeded one. */
  random?: () => number;
  /** Called once per value that was skipped as malformed (bounded reason strings). */
  onDrop?: (reason: string) => void;
}

const HOUR = 3_600_000;

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

  SyncBatchRepo.for(db).read(range, {
    call(r) {
      const acc = cellFor(r.endedAt, r.queue, r.agent, true)!;
      byCall.set(r.id, acc);
      acc.calls++;
      const f = readFigures(r.summary, r.durationMs, drop);
      if (f.short) return;
      for (const k of ['durationMs', 'agentTalkRatio', 'silenceRatio', 'customerSentiment'] as const) {
        const v = f[k];
        if (v !== undefined) acc[k].push(v);
      }
    },
    category(r) {
      const id = idLabel(categoryOf(r.data));
      if (!id) {
        drop('category-id');
        return;
      }
      const acc = byCall.get(r.callId)!;
      let set = acc.categories.get(id);
      if (!set) acc.categories.set(id, (set = new Set()));
      set.add(r.callId);
    },
    emotion(r) {
      if ((EMOTIONS as readonly string[]).includes(r.emotion)) byCall.get(r.callId)!.emotions[r.emotion as EmotionLabel] += r.n;
      else drop('emotion-label');
    },
    alarm(r) {
      const rule = idLabel(r.rule);
      if (!rule || !(SEVERITIES as readonly string[]).includes(r.severity)) {
        drop('alarm-rule');
        return;
      }
      const alarms = byCall.get(r.callId)!.alarms;
      const key = `${rule}\u0000${r.severity}`;
      alarms.set(key, (alarms.get(key) ?? 0) + r.n);
    },
    survey(r) {
      const acc = cellFor(r.receivedAt, r.queue, r.agent, false);
      if (!acc) return; // no call ended in that cell this hour: too small to report
      if (!Number.isInteger(r.score) || r.score < 0 || r.score > 10) drop('nps-score');
      else acc.nps[`${npsClass(r.score)}s`]++;
    },
  });

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
