import { CHANNELS, type Channel, type EmotionLabel, type Severity } from '../call/types.js';
import type { Summary } from './stats.js';

/**
 * The upstream batch, field by field. Nothing else leaves the site: the builder fills these
 * fields one by one from aggregates and never copies a row, so a new column cannot leak by accident.
 */
export interface SyncBatch {
  v: 1;
  batchId: string;
  siteId: string;
  /** Calls that ended, surveys received, in [from, to) (epoch ms). */
  period: { from: number; to: number };
  privacy: {
    minCellCalls: number;
    /** 0 = counts are exact. */
    laplaceEpsilon: number;
    agentLevel: boolean;
    /** Cells left out because fewer than minCellCalls calls fell in them. */
    suppressedCells: number;
  };
  cells: SyncCell[];
}

export interface SyncCell {
  /** Start of the hour (epoch ms) in which the calls ended. */
  hour: number;
  queue: string;
  /** voice | chat | wechat | app | email | sms: one of CHANNELS, never anything else. */
  channel: Channel;
  /** Only with sync.agentLevel. */
  agent?: string;
  calls: number;
  /** Each KPI only when at least minCellCalls calls (excluding short ones) had it. */
  kpi: {
    durationMs?: Summary;
    agentTalkRatio?: Summary;
    silenceRatio?: Summary;
    customerSentiment?: Summary;
  };
  /** Category id → calls that hit it. */
  categories: Record<string, number>;
  /** Emotion label → utterances. */
  emotions: Record<EmotionLabel, number>;
  /** Only when at least minCellCalls NPS answers fell in the cell. */
  nps?: { promoters: number; passives: number; detractors: number };
  alarms: { rule: string; severity: Severity; count: number }[];
}

export const EMOTIONS: readonly EmotionLabel[] = ['angry', 'frustrated', 'neutral', 'satisfied'];
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

// Queue and agent names are site configuration, but a source may put a number or an address
// there (a DID as queue, an AOR as agent). Anything that is not a plain short name, or that
// carries 5+ digits, is reported as '(other)'.
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,63}$/u;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export function nameLabel(v: string | null | undefined): string {
  if (v === null || v === undefined || v === '') return '(none)';
  return NAME.test(v) && digitCount(v) < 5 ? v : '(other)';
}

/** The channel of a stored call if it is one of the known ones; undefined for anything else (dropped, counted). */
export function channelLabel(v: unknown): Channel | undefined {
  return (CHANNELS as readonly unknown[]).includes(v) ? (v as Channel) : undefined;
}

/** Category and rule ids: admin-defined slugs; undefined for anything else (dropped, counted). */
export function idLabel(v: unknown): string | undefined {
  return typeof v === 'string' && ID.test(v) && digitCount(v) < 5 ? v : undefined;
}

function digitCount(v: string): number {
  let n = 0;
  for (const ch of v) if (ch >= '0' && ch <= '9') n++;
  return n;
}
