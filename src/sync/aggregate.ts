import type Database from 'better-sqlite3';
import { categoryIdOf } from '../call/category.js';
import { CHANNELS, type Channel, type EmotionLabel, type Severity } from '../call/types.js';
import type { Config } from '../config/schema.js';
import { readFigures } from './kpi-fields.js';
import { EMOTIONS, SEVERITIES, channelLabel, idLabel, nameLabel, type SyncBatch, type SyncCell } from './payload.js';
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
const CHANNEL_ORDER = Object.fromEntries(CHANNELS.map((c, i) => [c, i])) as Record<Channel, number>;

interface Acc {
  hour: number;
  queue: string;
  channel: Channel;
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
 * Builds the aggregate batch for [fromMs, toMs): per hour, queue, channel (and agent with sync.agentLevel)
 * call counts, KPI means/percentiles, category, emotion, NPS and alarm counts. Cells with fewer than
 * sync.minCellCalls calls are left out, judged on true counts before any noise is added.
 */
/** The batch repository, or a connection to take it from (the build worker's read-only one, tests). */
export type SyncBatchSource = SyncBatchRepo | Database.Database;

export function buildBatch(src: SyncBatchSource, config: SyncConfig, fromMs: number, toMs: number, opts: BuildOptions = {}): SyncBatch {
  const { minCellCalls: min, laplaceEpsilon: eps, agentLevel } = config.sync;
  const drop = opts.onDrop ?? (() => {});
  const noisy = (n: number) => noisyCount(n, eps, opts.random ?? secureRandom);
  const range = { from: fromMs, to: toMs };
  const cells = new Map<string, Acc>();
  const byCall = new Map<string, Acc>();

  const cellFor = (atMs: number, queue: string | null, channel: Channel, agent: string | null, create: boolean): Acc | undefined => {
    const hour = Math.floor(atMs / HOUR) * HOUR;
    const q = nameLabel(queue);
    const a = agentLevel ? nameLabel(agent) : undefined;
    const key = JSON.stringify([hour, q, channel, a ?? null]);
    let acc = cells.get(key);
    if (!acc && create) {
      acc = newAcc(hour, q, channel, a);
      cells.set(key, acc);
    }
    return acc;
  };

  (src instanceof SyncBatchRepo ? src : SyncBatchRepo.for(src)).read(range, {
    call(r) {
      // The channel is a cell key: a value outside the enum (written around the store) must not
      // leave as free text, so such a call is left out and counted.
      const channel = channelLabel(r.channel);
      if (!channel) {
        drop('channel');
        return;
      }
      const acc = cellFor(r.endedAt, r.queue, channel, r.agent, true)!;
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
      const acc = byCall.get(r.callId);
      if (!acc) return; // a call left out above
      const id = idLabel(categoryIdOf(parse(r.data)));
      if (!id) {
        drop('category-id');
        return;
      }
      let set = acc.categories.get(id);
      if (!set) acc.categories.set(id, (set = new Set()));
      set.add(r.callId);
    },
    emotion(r) {
      const acc = byCall.get(r.callId);
      if (!acc) return;
      if ((EMOTIONS as readonly string[]).includes(r.emotion)) acc.emotions[r.emotion as EmotionLabel] += r.n;
      else drop('emotion-label');
    },
    alarm(r) {
      const acc = byCall.get(r.callId);
      if (!acc) return;
      const rule = idLabel(r.rule);
      if (!rule || !(SEVERITIES as readonly string[]).includes(r.severity)) {
        drop('alarm-rule');
        return;
      }
      const alarms = acc.alarms;
      const key = `${rule}\u0000${r.severity}`;
      alarms.set(key, (alarms.get(key) ?? 0) + r.n);
    },
    survey(r) {
      // An answer tied to no call has no channel: it keeps going where it went before channels, to
      // the voice cell of queue '(none)' (if calls ended there that hour).
      const channel = r.channel === null ? 'voice' : channelLabel(r.channel);
      if (!channel) return; // its call was left out (an unknown channel, counted there)
      const acc = cellFor(r.receivedAt, r.queue, channel, r.agent, false);
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
  const cell: SyncCell = { hour: acc.hour, queue: acc.queue, channel: acc.channel, calls: noisy(acc.calls), kpi, categories, emotions, alarms: [] };
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

function newAcc(hour: number, queue: string, channel: Channel, agent: string | undefined): Acc {
  return {
    hour,
    queue,
    channel,
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

/** An event's data: undefined when it is not JSON (the category is then unreadable, dropped). */
function parse(data: string | null): Record<string, unknown> | undefined {
  if (!data) return undefined;
  try {
    const d: unknown = JSON.parse(data);
    return d !== null && typeof d === 'object' ? (d as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function byCell(a: Acc, b: Acc): number {
  return a.hour - b.hour || cmp(a.queue, b.queue) || CHANNEL_ORDER[a.channel] - CHANNEL_ORDER[b.channel] || cmp(a.agent ?? '', b.agent ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
