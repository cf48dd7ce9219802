import type { CallEvent, EmotionLabel, LegStats, Role, Utterance } from '../call/types.js';
import { endLabel, endsNegative } from '../analysis/emotion/trajectory.js';
import { gaps, intersect, interruptions, total, union, type Span } from '../call/intervals.js';
import { categoryId } from '../call/category.js';
import type { CallKpis, KpiOptions, LegQuality, PartyKpis } from './types.js';

type Party = 'agent' | 'customer';
const EMOTIONS: EmotionLabel[] = ['angry', 'frustrated', 'neutral', 'satisfied'];

interface LegState {
  role: Role;
  /** VAD segments from `call.event` kind 'speech'; preferred over utterance spans when present. */
  vad: Span[];
  utt: Span[];
  stats?: LegStats;
}

/**
 * Accumulates one call's events and computes its KPIs on demand (live or final).
 * Times are call-relative ms: legs of one call share the call's clock (every ingest starts its
 * legs with the call), so leg-relative times are comparable across legs.
 */
export class CallTracker {
  readonly legs = new Map<string, LegState>();
  readonly #utterances: Utterance[] = [];
  readonly #categories = new Map<string, number>();
  readonly #holds: Span[] = [];
  #holdOpenAt: number | null = null;
  #lastMs = 0;
  alarms = 0;

  constructor(
    readonly callId: string,
    readonly startedAt: number,
    private readonly opts: KpiOptions,
  ) {}

  addLeg(legId: string, role: Role): void {
    const leg = this.legs.get(legId);
    if (leg) leg.role = role;
    else this.legs.set(legId, { role, vad: [], utt: [] });
  }

  #leg(legId: string): LegState {
    let leg = this.legs.get(legId);
    if (!leg) this.legs.set(legId, (leg = { role: 'unknown', vad: [], utt: [] }));
    return leg;
  }

  speech(legId: string, startMs: number, endMs: number): void {
    this.#leg(legId).vad.push({ start: startMs, end: endMs });
    this.#seen(endMs);
  }

  utterance(u: Utterance): void {
    this.#utterances.push(u);
    const leg = this.#leg(u.legId);
    if (leg.role === 'unknown') leg.role = u.role;
    if (Number.isFinite(u.startMs) && Number.isFinite(u.endMs)) {
      leg.utt.push({ start: u.startMs, end: u.endMs });
      this.#seen(u.endMs);
    }
  }

  /** Categories, hold/resume; other kinds are ignored. */
  event(e: CallEvent): void {
    if (!Number.isFinite(e.tMs)) return;
    this.#seen(e.tMs);
    if (e.kind === 'hold' && this.#holdOpenAt === null) this.#holdOpenAt = e.tMs;
    else if (e.kind === 'resume' && this.#holdOpenAt !== null) {
      this.#holds.push({ start: this.#holdOpenAt, end: e.tMs });
      this.#holdOpenAt = null;
    } else if (e.kind === 'category') {
      const id = categoryId(e);
      if (id) this.#categories.set(id, (this.#categories.get(id) ?? 0) + 1);
    }
  }

  stats(legId: string, stats: LegStats): void {
    this.#leg(legId).stats = { ...this.#leg(legId).stats, ...stats };
  }

  #seen(ms: number): void {
    if (ms > this.#lastMs) this.#lastMs = ms;
  }

  /** Speech spans of a party: VAD where the leg has it, else the utterances' spans. */
  spans(party: Party): Span[] {
    const all: Span[] = [];
    for (const leg of this.legs.values()) if (leg.role === party) all.push(...(leg.vad.length ? leg.vad : leg.utt));
    return union(all);
  }

  /** KPIs as of `durationMs` (the call's end, or now for live figures). */
  compute(durationMs = this.#lastMs): CallKpis {
    const end = Math.max(durationMs, 0);
    const agent = this.spans('agent');
    const customer = this.spans('customer');
    const holds = union([...this.#holds, ...(this.#holdOpenAt !== null ? [{ start: this.#holdOpenAt, end }] : [])]);
    const anyone = union([...agent, ...customer, ...union(this.#otherSpeech())]);
    const silences = gaps(union([...anyone, ...holds]), 0, end);
    const overtalk = intersect(agent, customer);
    const agentTalk = total(agent);
    const customerTalk = total(customer);
    const y = this.opts.interruptYieldMs;
    return {
      version: 1,
      durationMs: end,
      short: end < this.opts.minCallSeconds * 1000,
      agent: this.#party('agent', agentTalk, interruptions(customer, agent, y)),
      customer: this.#party('customer', customerTalk, interruptions(agent, customer, y)),
      silenceMs: total(silences),
      longestSilenceMs: silences.reduce((m, s) => Math.max(m, s.end - s.start), 0),
      overtalkMs: total(overtalk),
      agentTalkRatio: agentTalk + customerTalk > 0 ? round(agentTalk / (agentTalk + customerTalk), 4) : null,
      agentFirstWordsMs: agent.length ? agent[0].start : null,
      holdMs: total(holds),
      holds: holds.length,
      sentiment: this.#sentiment(),
      categories: Object.fromEntries(this.#categories),
      network: this.#network(),
      alarms: this.alarms,
    };
  }

  /** Speech of legs that are neither agent nor customer (mixed/unknown) still breaks silence. */
  #otherSpeech(): Span[] {
    const out: Span[] = [];
    for (const leg of this.legs.values()) if (leg.role !== 'agent' && leg.role !== 'customer') out.push(...(leg.vad.length ? leg.vad : leg.utt));
    return out;
  }

  #party(party: Party, talkMs: number, interrupts: number): PartyKpis {
    const us = this.#utterances.filter((u) => u.role === party);
    const ms = us.reduce((n, u) => n + Math.max(0, u.endMs - u.startMs), 0);
    const words = us.reduce((n, u) => n + wordCount(u.text), 0);
    return { talkMs, interruptions: interrupts, utterances: us.length, speechRate: ms > 0 ? round((words * 60000) / ms, 1) : null };
  }

  #sentiment(): CallKpis['sentiment'] {
    const cust = this.#utterances.filter((u) => u.role === 'customer').sort((a, b) => a.startMs - b.startMs);
    const agent = this.#utterances.filter((u) => u.role === 'agent');
    const start = mean(cust.slice(0, 3).map((u) => u.sentiment));
    const endS = mean(cust.slice(-3).map((u) => u.sentiment));
    // Negative by the words' score, or by the emotion labels the way the call trajectory ends
    // (analysis/emotion): an angry "i want your supervisor right now" can score near zero.
    const negativeEnd = (endS !== null && endS < this.opts.negativeBelow) || endsNegative(endLabel(cust.map((u) => u.emotion)));
    const emotions = { agent: counts(agent), customer: counts(cust) };
    const worst = [...cust]
      .filter((u) => u.sentiment < 0)
      .sort((a, b) => a.sentiment - b.sentiment)
      .slice(0, 3)
      .map((u) => ({ ...(u.id !== undefined ? { utteranceId: u.id } : {}), startMs: u.startMs, sentiment: u.sentiment, emotion: u.emotion }));
    return {
      customerStart: start,
      customerEnd: endS,
      customerAvg: mean(cust.map((u) => u.sentiment)),
      agentAvg: mean(agent.map((u) => u.sentiment)),
      negativeEnd,
      negativeSwing: negativeEnd && start !== null && start >= 0,
      worst,
      emotions,
    };
  }

  #network(): Record<string, LegQuality> {
    const out: Record<string, LegQuality> = {};
    for (const [legId, leg] of this.legs) {
      if (!leg.stats) continue;
      const { packets, lost } = leg.stats;
      const lossRatio = packets !== undefined && lost !== undefined && packets + lost > 0 ? round(lost / (packets + lost), 4) : null;
      out[legId] = { ...leg.stats, role: leg.role, lossRatio };
    }
    return out;
  }
}

/** The category a `call.event` kind 'category' names (analysis puts it in data.category or data.rule). */
function counts(us: Utterance[]): Record<EmotionLabel, number> {
  const c = Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Record<EmotionLabel, number>;
  for (const u of us) if (u.emotion in c) c[u.emotion]++;
  return c;
}

function wordCount(text: string): number {
  const cjk = text.match(/[\u3400-\u9fff]/g)?.length ?? 0;
  const latin = text.replace(/[\u3400-\u9fff]/g, ' ').split(/\s+/).filter(Boolean).length;
  return cjk + latin;
}

function mean(xs: number[]): number | null {
  return xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 4) : null;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
