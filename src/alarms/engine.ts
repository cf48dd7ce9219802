import type { CallEvent, Utterance } from '../call/types.js';
import { clip, insert, intersect, total, type Span } from '../call/intervals.js';
import { categoryId } from '../call/category.js';
import { globMatch, type AlarmRule, type RuleOf } from './rules.js';

/** A rule matched: the lifecycle decides (cooldown) whether it becomes an alarm. */
export interface Trigger {
  rule: AlarmRule;
  callId: string;
  message: string;
  evidence?: number[];
  /** performance.now() when the triggering event arrived: alarm latency is measured from here. */
  receivedAt: number;
}

export interface CallState {
  streak: Map<string, number[]>; // rule id -> evidence of the current negative run
  /** Each party's speech as a sorted union, trimmed to the longest overtalk window. */
  talk: { agent: Span[]; customer: Span[] };
  vadLegs: Set<string>;
  roles: Map<string, string>;
  /** Call time up to which someone was heard (or the call was on hold). */
  heardUntil: number;
  holdOpenAt: number | null;
  categories: Map<string, number>;
  /** Wall-clock ms of the last sign of speech (for silence while it lasts, see tick). */
  lastActivity: number;
  /** tick() reported the quiet that began at this lastActivity: do not report it again. */
  tickQuietSince: number | null;
  /** ...and it began at this call time: the gap check, when speech resumes, must not repeat it. */
  tickHeardUntil: number | null;
  live: boolean;
  customerSentiments: number[];
}

/**
 * Evaluates the per-call rules on the live event stream, in constant work per event. Times are
 * call-relative ms (legs of a call share its clock). Silence is found two ways: the gap before a
 * speech segment that starts after everything heard so far (works for imports running faster than
 * real time) and, for live calls, `tick()` noticing that nothing was heard for the rule's time
 * (works while the silence lasts). A segment arriving late from the other leg can only shorten a
 * gap already judged, so it never raises.
 */
export class RuleEngine {
  readonly calls = new Map<string, CallState>();
  /**
   * Calls just ended, for their late category events: with a semantic model analysis runs behind
   * the bus (a burst from a cluster's durable stream, a loaded box) and its hits for a call can
   * follow call.ended. Bounded; silence and overtalk never look here.
   */
  readonly #recent = new Map<string, CallState>();
  #windowMs = 0;

  constructor(
    private rules: AlarmRule[],
    private readonly fire: (t: Trigger) => void,
    private readonly now: () => number,
  ) {
    this.setRules(rules);
  }

  setRules(rules: AlarmRule[]): void {
    this.rules = rules;
    this.#windowMs = Math.max(0, ...this.#of('overtalk').map((r) => r.windowSeconds * 1000));
  }

  #of<K extends AlarmRule['kind']>(kind: K): RuleOf<K>[] {
    return this.rules.filter((r): r is RuleOf<K> => r.kind === kind);
  }

  /** Ended calls kept for late category events (bounded by RECENT_KEEP). */
  get recent(): number {
    return this.#recent.size;
  }

  has(callId: string): boolean {
    return this.calls.has(callId);
  }

  start(callId: string, live: boolean): void {
    if (this.calls.has(callId)) return;
    this.calls.set(callId, {
      streak: new Map(),
      talk: { agent: [], customer: [] },
      vadLegs: new Set(),
      roles: new Map(),
      heardUntil: 0,
      holdOpenAt: null,
      categories: new Map(),
      lastActivity: this.now(),
      tickQuietSince: null,
      tickHeardUntil: null,
      live,
      customerSentiments: [],
    });
  }

  leg(callId: string, legId: string, role: string): void {
    this.calls.get(callId)?.roles.set(legId, role);
  }

  activity(callId: string): void {
    const c = this.calls.get(callId);
    if (c) c.lastActivity = this.now();
  }

  utterance(u: Utterance, receivedAt: number): void {
    const c = this.calls.get(u.callId);
    if (!c) return;
    if (u.role === 'customer') c.customerSentiments.push(u.sentiment);
    for (const r of this.#of('negative-streak')) {
      if (u.role !== r.role) continue;
      const run = c.streak.get(r.id) ?? [];
      if (u.sentiment < r.below) run.push(u.id ?? u.seq);
      else run.length = 0;
      c.streak.set(r.id, run);
      if (run.length >= r.count) {
        this.fire({ rule: r, callId: u.callId, message: `${r.role === 'customer' ? 'Customer' : 'Agent'} negative for ${run.length} utterances in a row`, evidence: [...run], receivedAt });
        c.streak.set(r.id, []);
      }
    }
    // Legs without VAD segments contribute their utterances' spans to silence and overtalk.
    if (!c.vadLegs.has(u.legId) && validSpan(u.startMs, u.endMs)) this.#speech(c, u.callId, u.role, u.startMs, u.endMs, receivedAt);
    c.lastActivity = this.now();
  }

  speech(callId: string, legId: string, startMs: number, endMs: number, receivedAt: number): void {
    const c = this.calls.get(callId);
    if (!c) return;
    // From now on this leg's VAD is the truth (segments come before their utterances).
    c.vadLegs.add(legId);
    this.#speech(c, callId, c.roles.get(legId) ?? 'unknown', startMs, endMs, receivedAt);
    c.lastActivity = this.now();
  }

  #speech(c: CallState, callId: string, role: string, startMs: number, endMs: number, receivedAt: number): void {
    this.#silenceUntil(c, callId, startMs, receivedAt);
    c.heardUntil = Math.max(c.heardUntil, endMs);
    if (role !== 'agent' && role !== 'customer') return;
    const mine = c.talk[role];
    insert(mine, { start: startMs, end: endMs });
    // Forget speech older than any window looks back; keeps each event's work small.
    const keepFrom = endMs - this.#windowMs;
    for (const list of [c.talk.agent, c.talk.customer]) {
      let n = 0;
      while (n < list.length && list[n].end < keepFrom) n++;
      if (n) list.splice(0, n);
    }
    for (const r of this.#of('overtalk')) {
      const from = endMs - r.windowSeconds * 1000;
      const both = total(intersect(clip(c.talk.agent, from, endMs), clip(c.talk.customer, from, endMs)));
      const share = both / (r.windowSeconds * 1000);
      if (share > r.ratio) this.fire({ rule: r, callId, message: `Overtalk ${Math.round(share * 100)}% of the last ${r.windowSeconds} s`, receivedAt });
    }
  }

  /** Judges the quiet between what was heard so far and `at` (a segment's start, a hold). */
  #silenceUntil(c: CallState, callId: string, at: number, receivedAt: number): void {
    const gap = at - c.heardUntil;
    const reportedLive = c.tickHeardUntil === c.heardUntil;
    c.tickHeardUntil = null;
    if (gap <= 0 || reportedLive) return;
    for (const r of this.#of('silence')) {
      if (gap > r.seconds * 1000) this.fire({ rule: r, callId, message: `Silence of ${Math.round(gap / 1000)} s`, receivedAt });
    }
  }

  event(e: CallEvent, receivedAt: number): void {
    const c = this.calls.get(e.callId) ?? (e.kind === 'category' ? this.#recent.get(e.callId) : undefined);
    if (!c || !Number.isFinite(e.tMs)) return;
    if (e.kind === 'hold' && c.holdOpenAt === null) {
      this.#silenceUntil(c, e.callId, e.tMs, receivedAt);
      c.holdOpenAt = e.tMs;
      c.heardUntil = Math.max(c.heardUntil, e.tMs);
    } else if (e.kind === 'resume' && c.holdOpenAt !== null) {
      c.holdOpenAt = null;
      c.heardUntil = Math.max(c.heardUntil, e.tMs); // time on hold is not silence
      c.lastActivity = this.now();
    } else if (e.kind === 'category') {
      const id = categoryId(e);
      if (!id) return;
      c.categories.set(id, (c.categories.get(id) ?? 0) + 1);
      for (const r of this.#of('category')) {
        if (!globMatch(r.category, id)) continue;
        const hits = [...c.categories].filter(([k]) => globMatch(r.category, k)).reduce((s, [, v]) => s + v, 0);
        if (hits >= r.count) this.fire({ rule: r, callId: e.callId, message: r.count > 1 ? `Category ${id} hit ${hits} times` : `Category ${id} hit`, receivedAt });
      }
    }
  }

  /** Live calls only: nothing heard (and not on hold) for longer than a silence rule allows. */
  tick(receivedAt: number): void {
    const now = this.now();
    for (const [callId, c] of this.calls) {
      if (!c.live || c.holdOpenAt !== null || c.tickQuietSince === c.lastActivity) continue;
      const quiet = now - c.lastActivity;
      const hit = this.#of('silence').filter((r) => quiet > r.seconds * 1000);
      if (!hit.length) continue;
      c.tickQuietSince = c.lastActivity;
      c.tickHeardUntil = c.heardUntil;
      for (const r of hit) this.fire({ rule: r, callId, message: `Silence of more than ${r.seconds} s`, receivedAt });
    }
  }

  end(callId: string): CallState | undefined {
    const c = this.calls.get(callId);
    this.calls.delete(callId);
    if (c) {
      this.#recent.set(callId, c);
      if (this.#recent.size > RECENT_KEEP) this.#recent.delete(this.#recent.keys().next().value!);
    }
    return c;
  }
}

/** As many as the alarm stage keeps cooldowns for (index.ts LATE_CALLS). */
export const RECENT_KEEP = 200;

/** Times from other stages are trusted but checked: one NaN would silence the silence rule. */
export function validSpan(startMs: unknown, endMs: unknown): startMs is number {
  return typeof startMs === 'number' && typeof endMs === 'number' && Number.isFinite(startMs) && Number.isFinite(endMs) && startMs >= 0 && endMs >= startMs;
}
