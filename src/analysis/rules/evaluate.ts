// Incremental evaluation of a rule set over one call: each final utterance is checked once,
// as it arrives; end-of-call rules ("absent", "last N seconds") are settled at call end.
import type { EmotionLabel, Role } from '../../call/types.js';
import type { RedactionType } from '../redact/patterns.js';
import { anyPhrase, findPhrases, normaliseText, wordIndex, wordStarts } from './phrases.js';
import type { Cond, Rule, RuleSet, SimilarCond } from './types.js';

/** What rules can see of an utterance: redacted text only. */
export interface UtteranceFacts {
  legId: string;
  role: Role;
  seq: number;
  startMs: number;
  endMs: number;
  text: string;
  emotion: EmotionLabel;
  sentiment: number;
  redactions: RedactionType[];
  /** Set by the stage when utterance ids are assigned upstream of the store. */
  utteranceId?: number;
  /** Whether a `similar` condition holds; absent without the semantic layer (never holds). */
  similar?: (c: SimilarCond) => boolean;
}

export interface Hit {
  rule: Rule;
  /** The utterance that made the rule hit; absent for "absent" rules. */
  at?: UtteranceFacts;
}

/** Which utterance a hit cites (utteranceId when the stage assigns ids). */
export interface EvidenceRef {
  legId: string;
  seq: number;
  utteranceId?: number;
}

/** Evidence kept per rule and call: enough for a QA reviewer, bounded for long calls. */
const MAX_EVIDENCE = 10;

interface RuleState {
  matches: number;
  hits: number;
  last?: UtteranceFacts;
  evidence: EvidenceRef[];
}

/** Lazily computed views of one utterance, shared by all rules evaluated on it. */
class View {
  #starts?: number[];
  readonly norm: string;
  constructor(
    readonly f: UtteranceFacts,
    readonly hits: Set<string>,
  ) {
    this.norm = normaliseText(f.text);
  }
  get starts(): number[] {
    return (this.#starts ??= wordStarts(this.norm));
  }
}

function test(c: Cond, v: View): boolean {
  switch (c.kind) {
    case 'all':
      return c.of.every((x) => test(x, v));
    case 'any':
      return c.of.some((x) => test(x, v));
    case 'not':
      return !test(c.of, v);
    case 'phrases':
      return anyPhrase(c.set, v.norm);
    case 'regex':
      return c.res.some((re) => re.test(v.f.text));
    case 'near': {
      const a = findPhrases(c.a, v.norm);
      if (!a.length) return false;
      const b = findPhrases(c.b, v.norm);
      if (!b.length) return false;
      // Distance in words between the two phrases, from the end of the earlier one to the start of
      // the later one: a long phrase ("it has been", "was meant to") must not use up the window.
      const words = (s: { start: number; end: number }): [number, number] => [wordIndex(v.starts, s.start), wordIndex(v.starts, s.end - 1)];
      const wa = a.map(words);
      return b.some((s) => {
        const [b0, b1] = words(s);
        return wa.some(([a0, a1]) => {
          // Overlapping phrases count when they start on different words (as before this measure).
          const gap = b0 > a1 ? b0 - a1 : a0 > b1 ? a0 - b1 : a0 !== b0 ? 1 : 0;
          return gap > 0 && gap <= c.words;
        });
      });
    }
    case 'emotion':
      return c.labels.includes(v.f.emotion);
    case 'sentiment':
      return (c.gte === undefined || v.f.sentiment >= c.gte) && (c.lte === undefined || v.f.sentiment <= c.lte);
    case 'redacted':
      return v.f.redactions.some((t) => c.types.includes(t));
    case 'hit':
      return v.hits.has(c.rule);
    case 'similar':
      return v.f.similar?.(c) ?? false;
  }
}

/**
 * Whether the rule's vetoes exclude the utterance whatever its positive conditions say: a top-level
 * `not` that matches, inside an `all`, or in every alternative of an `any` (the shape `similar:`
 * examples give a rule: any of [its when, all of [similar, its vetoes]]).
 */
function vetoed(c: Cond, v: View): boolean {
  if (c.kind === 'not') return test(c.of, v);
  if (c.kind === 'all') return c.of.some((x) => (x.kind === 'not' ? test(x.of, v) : x.kind === 'any' && vetoed(x, v)));
  if (c.kind === 'any') return c.of.length > 0 && c.of.every((x) => vetoed(x, v));
  return false;
}

function speakerOk(rule: Rule, role: Role): boolean {
  // A mixed or unknown leg cannot be attributed, so speaker-specific rules skip it.
  return rule.speaker === 'any' || rule.speaker === role;
}

/** Whether the rule only resolves at call end. */
export function endOfCall(rule: Rule): boolean {
  return rule.absent || rule.window?.last !== undefined;
}

export class CallRules {
  readonly #state = new Map<string, RuleState>();
  /** Rules that have hit so far in this call (what `hit:` conditions see). */
  readonly hit = new Set<string>();
  #endMs = 0;
  readonly #roles = new Set<Role>();

  constructor(readonly set: RuleSet) {}

  /** Evaluates every rule on one final utterance; returns the rules that hit on it. */
  onUtterance(f: UtteranceFacts): Hit[] {
    this.#endMs = Math.max(this.#endMs, f.endMs);
    this.#roles.add(f.role);
    const view = new View(f, this.hit);
    const out: Hit[] = [];
    for (const rule of this.set.rules) {
      if (!speakerOk(rule, f.role)) continue;
      if (rule.window?.first !== undefined && f.startMs >= rule.window.first * 1000) continue;
      if (!test(rule.when, view)) continue;
      const st = this.#get(rule.id);
      st.matches++;
      st.last = f;
      if (endOfCall(rule)) continue;
      if (rule.count ? st.matches !== rule.count.gte : rule.once && st.hits > 0) continue;
      this.#record(st, rule.id, f);
      out.push({ rule, at: f });
    }
    return out;
  }

  /**
   * Records a hit the semantic head decided for a rule its conditions missed (same bookkeeping as
   * a match: once/speaker/window respected); undefined when the rule cannot hit here.
   */
  addHit(id: string, f: UtteranceFacts): Hit | undefined {
    const rule = this.set.rules.find((r) => r.id === id);
    if (!rule || !speakerOk(rule, f.role) || endOfCall(rule) || rule.count) return undefined;
    // The head adds what the rule's conditions missed, never what its vetoes exclude: a top-level
    // `not` that matches ("the name of your supervisor, to say how helpful you were") stands.
    if (vetoed(rule.when, new View(f, this.hit))) return undefined;
    if (rule.window?.first !== undefined && f.startMs >= rule.window.first * 1000) return undefined;
    const st = this.#get(rule.id);
    if (rule.once && st.hits > 0) return undefined;
    st.matches++;
    st.last = f;
    this.#record(st, rule.id, f);
    return { rule, at: f };
  }

  /** Settles end-of-call rules. Call once, at call end. */
  onEnd(): Hit[] {
    const out: Hit[] = [];
    for (const rule of this.set.rules) {
      if (!endOfCall(rule)) continue;
      // "Agent never said X" needs an agent leg that spoke: a mixed-only call cannot miss it.
      if (rule.absent && rule.speaker !== 'any' && !this.#roles.has(rule.speaker)) continue;
      const st = this.#get(rule.id);
      const last = rule.window?.last;
      const inLast = st.last !== undefined && (last === undefined || st.last.endMs >= this.#endMs - last * 1000);
      if (rule.absent ? inLast : !inLast) continue;
      this.#record(st, rule.id, rule.absent ? undefined : st.last);
      out.push(rule.absent ? { rule } : { rule, at: st.last });
    }
    return out;
  }

  get endMs(): number {
    return this.#endMs;
  }

  /** Hits per rule so far. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, st] of this.#state) if (st.hits) out[id] = st.hits;
    return out;
  }

  /** Utterances that made a rule hit (empty for absences). */
  evidence(id: string): EvidenceRef[] {
    return this.#state.get(id)?.evidence ?? [];
  }

  #record(st: RuleState, id: string, f: UtteranceFacts | undefined): void {
    st.hits++;
    this.hit.add(id);
    if (f && st.evidence.length < MAX_EVIDENCE) st.evidence.push({ legId: f.legId, seq: f.seq, ...(f.utteranceId !== undefined ? { utteranceId: f.utteranceId } : {}) });
  }

  #get(id: string): RuleState {
    let st = this.#state.get(id);
    if (!st) this.#state.set(id, (st = { matches: 0, hits: 0, evidence: [] }));
    return st;
  }
}
