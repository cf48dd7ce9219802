// Everything analysis keeps about one live call: redaction context, voice baselines per leg,
// the rule evaluator and the emotion trajectory. Holds no transcript text.
import type { EmotionLabel, Prosody, Role, Transcript, Utterance } from '../call/types.js';
import { CategoryCues, GRIEVANCE_CATEGORIES, HIGH_AROUSAL, LegBaseline, NEG, POS, Trajectory, fuse, speakingRate, toneOf, type EmotionTrajectory } from './emotion/index.js';
import { computeIntents, type IntentResult } from './intents.js';
import { detectLang, type Lang } from './lang.js';
import { CallRedactor, mutedSpans, type AudioSpan, type Redaction, type RedactionType } from './redact/index.js';
import { CallRules, scoreCall, type Hit, type QaResult, type RuleSet, type SimilarCond } from './rules/index.js';
import type { HeadInput } from './semantic/head.js';
import { sentiment } from './sentiment/index.js';

export interface CallAnalysisSummary {
  callId: string;
  state: 'live' | 'ended';
  utterances: number;
  redactions: number;
  languages: Record<Lang, number>;
  /** Mean text sentiment per role. */
  sentiment: { customer?: number; agent?: number };
  emotion: EmotionTrajectory;
  /** Hits per category rule. */
  categories: Record<string, number>;
  /** Final at call end; provisional while live. */
  intents: IntentResult[];
  /** QA scorecards, scored at call end (empty while live). */
  qa: QaResult[];
}

/** A final after the order-sensitive steps; holds redacted text only. */
export interface Prepared {
  callId: string;
  legId: string;
  role: Role;
  seq: number;
  startMs: number;
  endMs: number;
  prosody?: Prosody;
  id?: number;
  text: string;
  types: RedactionType[];
  lang: Lang;
  sentiment: number;
  rate?: number;
  arousal?: number;
  /** Where the redacted numbers were said (leg ms), for muting stored audio. */
  muted: AudioSpan[];
}

export interface Analysed {
  muted: AudioSpan[];
  utterance: Utterance;
  hits: Hit[];
  redactionTypes: RedactionType[];
  arousal?: number;
}

export class CallAnalysis {
  readonly redactor = new CallRedactor();
  readonly rules: CallRules;
  readonly #cues: CategoryCues;
  readonly #baselines = new Map<string, LegBaseline>();
  readonly #trajectory = new Trajectory();
  readonly #langs: Record<Lang, number> = { en: 0, zh: 0, unknown: 0 };
  readonly #sent = { customer: { sum: 0, n: 0 }, agent: { sum: 0, n: 0 } };
  #utterances = 0;
  #redactions = 0;
  #intents?: IntentResult[];
  #qa: QaResult[] = [];

  constructor(
    readonly callId: string,
    set: RuleSet,
  ) {
    this.rules = new CallRules(set);
    this.#cues = new CategoryCues(set);
  }

  partial(t: Transcript): Redaction {
    return this.redactor.partial(t.legId, t.text, t.startMs);
  }

  /** Redaction, language, sentiment and arousal: everything that must run in arrival order. */
  prepare(t: Transcript, id?: number): Prepared {
    const red = this.redactor.final(t.legId, t.text, t.startMs, t.endMs);
    // Tokens like [CARD] are ours, not the speaker's language.
    const lang = detectLang(red.text.replace(/\[[A-Z]+\]/gu, ' '));
    const s = sentiment(red.text, lang, t.role);
    let baseline = this.#baselines.get(t.legId);
    if (!baseline) this.#baselines.set(t.legId, (baseline = new LegBaseline()));
    // Rate from what was said: "[CARD]" is one token but sixteen spoken words.
    const rate = speakingRate(t.text, t.startMs, t.endMs, t.words?.length);
    const arousal = baseline.observe({ prosody: t.prosody, rate });
    // Only redacted text goes on from here.
    return {
      callId: t.callId, legId: t.legId, role: t.role, seq: t.seq, startMs: t.startMs, endMs: t.endMs, prosody: t.prosody,
      id, text: red.text, types: red.types, lang, sentiment: s, rate, arousal,
      muted: mutedSpans(red.types, t, t.words),
    };
  }

  /**
   * Emotion (the rule-based fusion unless a model's verdict is given), rules, bookkeeping. With a
   * semantic head (the utterance's embedding came in time) it may relabel the emotion and add
   * categories the rules missed; without one, rules alone decide.
   */
  finish(p: Prepared, model?: { emotion: EmotionLabel; confidence: number }, similar?: (c: SimilarCond) => boolean, head?: HeadInput): Analysed {
    const facts = {
      legId: p.legId, role: p.role, seq: p.seq, startMs: p.startMs, endMs: p.endMs,
      text: p.text, sentiment: p.sentiment, redactions: p.types, utteranceId: p.id, similar,
    };
    let fused = model;
    let cats: string[] | undefined;
    if (!fused) {
      // Words and voice first, then with the categories that label lets the utterance hit.
      const cues = { tone: toneOf(p.text), role: p.role, lang: p.lang };
      const first = fuse(p.sentiment, p.arousal, cues);
      cats = this.#cues.of({ ...facts, emotion: first.emotion });
      fused = fuse(p.sentiment, p.arousal, { ...cues, categories: cats });
    }
    const { confidence } = fused;
    // A speech-emotion model's verdict is not second-guessed, nor is a raised voice (the head reads
    // text only: "charged twice and nobody fixed it" shouted is anger, said evenly frustration).
    const raised = p.arousal !== undefined && p.arousal >= HIGH_AROUSAL;
    const emotion = head && !model && !raised ? head.head.emotion(head.pre, fused.emotion) : fused.emotion;
    const hits = this.rules.onUtterance({ ...facts, emotion });
    if (head) {
      const ids = new Set(hits.map((h) => h.rule.id));
      for (const id of head.head.categories(head.pre, ids)) {
        const h = this.rules.addHit(id, { ...facts, emotion });
        if (h) hits.push(h);
      }
    }
    // Rules read the words' own score; what the utterance reports is also what it amounts to.
    if ((p.lang === 'en' || p.lang === 'zh') && p.role === 'customer') p.sentiment = categoryPolarity(p.sentiment, [...(cats ?? this.#cues.of({ ...facts, emotion })), ...hits.map((h) => h.rule.id)], p.lang);
    this.#utterances++;
    this.#redactions += p.types.length;
    this.#langs[p.lang]++;
    if (p.role === 'customer' || p.role === 'agent') {
      this.#sent[p.role].sum += p.sentiment;
      this.#sent[p.role].n++;
    }
    this.#trajectory.add({ legId: p.legId, role: p.role, seq: p.seq, startMs: p.startMs, emotion, sentiment: p.sentiment, arousal: p.arousal });
    const utterance: Utterance = {
      ...(p.id !== undefined ? { id: p.id } : {}),
      callId: p.callId, legId: p.legId, role: p.role, seq: p.seq, text: p.text, lang: p.lang,
      startMs: p.startMs, endMs: p.endMs, sentiment: p.sentiment, emotion, emotionConfidence: confidence,
      categories: [...new Set(hits.map((h) => h.rule.id))], redactions: p.types.length,
    };
    return { utterance, hits, redactionTypes: p.types, arousal: p.arousal, muted: p.muted };
  }

  final(t: Transcript, id?: number): Analysed {
    return this.finish(this.prepare(t, id));
  }

  /** Settles end-of-call rules and intents. */
  end(typed = false): { hits: Hit[]; intents: IntentResult[]; qa: QaResult[] } {
    const hits = this.rules.onEnd();
    const emotion = this.#trajectory.summary();
    this.#intents = computeIntents(this.rules.counts(), this.rules.set.rules, emotion);
    const facts = { evidence: (id: string) => this.rules.evidence(id), hit: this.rules.hit, end: emotion.end, typed };
    this.#qa = this.rules.set.scorecards.map((card) => scoreCall(card, facts));
    return { hits, intents: this.#intents, qa: this.#qa };
  }

  summary(): CallAnalysisSummary {
    const emotion = this.#trajectory.summary();
    const avg = (x: { sum: number; n: number }) => (x.n ? Math.round((x.sum / x.n) * 1000) / 1000 : undefined);
    return {
      callId: this.callId,
      state: this.#intents ? 'ended' : 'live',
      utterances: this.#utterances,
      redactions: this.#redactions,
      languages: { ...this.#langs },
      sentiment: { customer: avg(this.#sent.customer), agent: avg(this.#sent.agent) },
      emotion,
      categories: this.rules.counts(),
      intents: this.#intents ?? computeIntents(this.rules.counts(), this.rules.set.rules, emotion),
      qa: this.#qa,
    };
  }
}

/**
 * A customer's sentiment moved by the categories the utterance hit, where the words alone left
 * it neutral: the category packs know far more ways of saying "i am leaving", "get me a manager"
 * or "you have been a star" than a sentiment lexicon does. Words that score clearly one way keep
 * their score ("no complaints it was great" stays positive). Asking how to leave is an inquiry,
 * neutral ("how do i close my account"); saying one is leaving is not. Both languages: for
 * Chinese it moved the independent dev-c batch's polarity 78.5 → 80.0 % (dev 96.3 → 96.0 %).
 * Praise and a grievance together leave the words' score alone.
 */
/** Below this, a question about leaving carries real grievance words of its own. */
const QUESTION_FLOOR = -0.7;

export function categoryPolarity(s: number, cats: readonly string[], lang?: string): number {
  const asking = cats.includes('customer-question');
  // "how do i cancel my membership": leaving words scored negative, but nothing went wrong.
  const grieving = cats.some((c) => c === 'complaint' || c === 'escalation-request' || c === 'abusive-language');
  // Leaving asked for as a request or for the caller's own reason ("i'm moving abroad so i need to end
  // the contract"): the same, English only (the leaving-request rule, config/rules/churn.yaml).
  const request = asking || cats.includes('leaving-request');
  if (request && cats.includes('churn-intent') && !grieving && s < 0 && s > QUESTION_FLOOR) return 0;
  if (s <= NEG || s >= POS) return s;
  // Chinese: leaving alone, in words the lexicon leaves neutral, is a calm cancellation (帮我把副卡注销了),
  // labelled neutral; threats to leave carry negative words of their own (再也不, 不想再).
  const calmLeaving = (c: string) => c === 'churn-intent' && (request || lang === 'zh');
  // English: a customer bringing up a rival, not asking, is comparing to our cost ("zenpost had it here in a
  // day", "brightcell do it for a tenner"): every English dev batch labels 71 of its 75 such lines negative.
  const rival = lang === 'en' && !asking && !cats.includes('customer-praise') && cats.includes('competitor-mention');
  const against = rival || cats.some((c) => (GRIEVANCE_CATEGORIES.includes(c) && !calmLeaving(c)) || c === 'abusive-language');
  const praise = cats.includes('customer-praise');
  // Both sides hit ("the price guarantee was great, they refunded the difference"): the words decide.
  if (against && praise) return s;
  if (against) return NEG - 0.05;
  if (praise) return POS + 0.05;
  return s;
}
