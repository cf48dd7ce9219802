import type { EmotionLabel, LegStats, Role } from '../call/types.js';

/** Per-party figures; `agent` and `customer` are the two roles KPIs are about. */
export interface PartyKpis {
  talkMs: number;
  /** Times this party took the floor from the other (see intervals.interruptions). */
  interruptions: number;
  utterances: number;
  /** Words per minute of speech (CJK characters count as words). null without utterances. */
  speechRate: number | null;
}

export interface SentimentKpis {
  /** Mean sentiment of the customer's first / last three utterances, and over the call. */
  customerStart: number | null;
  customerEnd: number | null;
  customerAvg: number | null;
  agentAvg: number | null;
  /** The customer ended the call negative (end mean below the negative threshold). */
  negativeEnd: boolean;
  /** The customer started at or above neutral and ended negative. */
  negativeSwing: boolean;
  /** Most negative customer moments (utterance id when known, time, score); no text. */
  worst: { utteranceId?: number; startMs: number; sentiment: number; emotion: EmotionLabel }[];
  /** Utterance counts per emotion label, per role. */
  emotions: Record<'agent' | 'customer', Record<EmotionLabel, number>>;
}

export interface LegQuality extends LegStats {
  role: Role;
  lossRatio: number | null;
}

export interface CallKpis {
  version: 1;
  durationMs: number;
  /** Shorter than kpi.minCallSeconds: kept, but left out of averages and rollups' means. */
  short: boolean;
  agent: PartyKpis;
  customer: PartyKpis;
  silenceMs: number;
  longestSilenceMs: number;
  overtalkMs: number;
  /** agent talk / (agent + customer talk); null when nobody spoke. */
  agentTalkRatio: number | null;
  /** Call-relative ms of the agent's first speech; null if the agent never spoke. */
  agentFirstWordsMs: number | null;
  holdMs: number;
  holds: number;
  sentiment: SentimentKpis;
  /** Category id -> hits. */
  categories: Record<string, number>;
  /** Per leg id. */
  network: Record<string, LegQuality>;
  alarms: number;
}

export interface KpiOptions {
  minCallSeconds: number;
  /** An interrupted party must stop within this many ms of the other starting. */
  interruptYieldMs: number;
  /** Mean sentiment below this counts as negative. */
  negativeBelow: number;
}
