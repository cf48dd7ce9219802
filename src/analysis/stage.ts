// Bus wiring of the analysis stage: raw transcripts in, redacted and analysed utterances out.
// Raw text exists only inside the `transcript` handler; anything that fails is dropped, never
// passed on unredacted.
import type { Logger } from 'pino';
import type { PipelineBus } from '../call/events.js';
import type { Role, Transcript } from '../call/types.js';
import type { Metrics } from '../metrics/registry.js';
import { CallAnalysis, type Analysed, type CallAnalysisSummary } from './call-analysis.js';
import type { SerModel } from './emotion/ser.js';
import type { AnalysisMetrics } from './metrics.js';
import type { Hit, RuleSet } from './rules/index.js';
import type { SemanticFacts, SemanticLayer } from './semantic/index.js';
import { TopicDiscovery, type Topic } from './topics.js';

/** Longest text analysed; recognisers cap utterances far below this, so more is a fault. */
export const MAX_TEXT = 20000;
/** Summaries of ended calls kept for late readers (the store writes the summary on call end). */
const ENDED_KEEP = 500;
/**
 * Ids of ended calls remembered so a straggler (a final the recogniser emits after a drain was cut)
 * cannot open state that nothing ever closes: ids only (~50 bytes each), far more than the summaries.
 */
export const ENDED_IDS_KEEP = 20_000;

export interface StageDeps {
  log: Logger;
  bus: PipelineBus;
  metrics: Metrics;
  m: AnalysisMetrics;
  nextUtteranceId?: () => number;
  rules: () => RuleSet;
  /** Optional speech-emotion model; without it everything runs synchronously. */
  ser?: SerModel;
  /** Optional semantic layer (embeddings): `similar` conditions, sentiment second opinion. */
  semantic?: SemanticLayer;
  /** Live calls kept before the oldest is dropped (a call whose end never came). */
  maxLiveCalls?: number;
}

/** Logs carry no call id and no text (privacy rules): just the first line of the error, capped. */
function errText(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0].slice(0, 200);
}

const ROLES: Role[] = ['customer', 'agent', 'mixed', 'unknown'];

/** Why a transcript is rejected, or undefined when its shape is sound. */
function badShape(t: unknown): string | undefined {
  if (!t || typeof t !== 'object') return 'not-object';
  const x = t as Partial<Transcript>;
  if (typeof x.callId !== 'string' || !x.callId || typeof x.legId !== 'string' || !x.legId) return 'missing-id';
  if (typeof x.text !== 'string') return 'text-type';
  if (!Number.isInteger(x.seq)) return 'seq';
  if (!Number.isFinite(x.startMs) || !Number.isFinite(x.endMs) || (x.endMs as number) < (x.startMs as number)) return 'timing';
  if (typeof x.final !== 'boolean') return 'final-flag';
  if (!ROLES.includes(x.role as Role)) return 'role';
  return undefined;
}

export class AnalysisRunner {
  readonly #calls = new Map<string, CallAnalysis>();
  readonly #ended = new Map<string, CallAnalysisSummary>();
  readonly #endedIds = new Set<string>();
  readonly #off: (() => void)[] = [];
  /** Calls whose end waits for queued model work. */
  readonly #ending = new Set<string>();
  /** Per-call promise chains, only when a speech-emotion model is configured. */
  readonly #pending = new Map<string, Promise<void>>();
  readonly #topics = new TopicDiscovery();
  /** Live typed conversations (chat, messaging, e-mail): their QA leaves out items needing audio. */
  readonly #typed = new Set<string>();

  constructor(private readonly d: StageDeps) {
    this.#off.push(d.bus.on('call.started', (c) => {
      if (c.channel !== undefined && c.channel !== 'voice') this.#typed.add(c.callId);
    }));
    this.#off.push(d.bus.on('transcript', (t) => this.onTranscript(t)));
    this.#off.push(d.bus.on('call.ended', (e) => this.onEnded(e.callId)));
  }

  onTranscript(t: Transcript): void {
    const bad = badShape(t);
    if (bad) {
      this.d.metrics.badInput('transcript', bad);
      return;
    }
    if (t.text.length > MAX_TEXT) {
      this.d.metrics.badInput('transcript', 'too-long');
      t = { ...t, text: t.text.slice(0, MAX_TEXT) };
    }
    let call = this.#calls.get(t.callId);
    if (!call && (this.#endedIds.has(t.callId) || this.#ending.has(t.callId))) {
      // A straggler after call end would open state that nothing ever closes.
      this.d.metrics.badInput('transcript', 'after-end');
      return;
    }
    if (!call) {
      this.#calls.set(t.callId, (call = new CallAnalysis(t.callId, this.d.rules())));
      if (this.#calls.size > (this.d.maxLiveCalls ?? 10000)) {
        // Bounded memory: a call whose call.ended was lost must not stay forever.
        this.#calls.delete(this.#calls.keys().next().value as string);
        this.d.m.errors.inc();
        this.d.log.warn('oldest live call dropped from analysis: more live calls than limits.maxCalls allows');
      }
    }
    try {
      if (!t.final) {
        const r = call.partial(t);
        this.d.bus.emit('partial', { callId: t.callId, legId: t.legId, role: t.role, seq: t.seq, text: r.text, startMs: t.startMs, endMs: t.endMs });
        return;
      }
      const stop = this.d.m.seconds.startTimer();
      const p = call.prepare(t, this.d.nextUtteranceId?.());
      const queued = this.#pending.has(t.callId);
      // Embeddings only where the call's rules or the prototypes use them, and only while the
      // server can answer: otherwise rules alone, now (counted), instead of waiting on a dead server.
      let sem: Promise<SemanticFacts | undefined> | undefined;
      const layer = this.d.semantic;
      if (layer?.wanted(call.rules.set)) {
        const why = layer.unready(call.rules.set);
        if (why) layer.fallback(why);
        else sem = layer.analyse(p.text, p.sentiment, p.lang, p.role);
      }
      if (!this.d.ser && !sem && !queued) {
        this.#deliver(call.finish(p));
        stop();
        return;
      }
      // With a model, analysis is async: keep each call's utterances (and its end) in order.
      const ser = this.d.ser;
      const c = call;
      this.#chain(t.callId, async () => {
        const facts = await sem;
        if (facts?.sentiment !== undefined) p.sentiment = facts.sentiment;
        if (!ser) {
          this.#deliver(c.finish(p, undefined, facts?.similar, facts?.head), facts?.vector);
          stop();
          return;
        }
        let verdict: Awaited<ReturnType<typeof ser.classify>> | undefined;
        if (p.prosody) {
          try {
            verdict = await ser.classify({ prosody: p.prosody, rate: p.rate, arousal: p.arousal, sentiment: p.sentiment });
          } catch (err) {
            this.d.m.errors.inc();
            this.d.log.warn({ err: errText(err) }, 'speech-emotion model failed; rule-based fusion used');
          }
        }
        this.#deliver(c.finish(p, verdict, facts?.similar, facts?.head), facts?.vector);
        stop();
      });
    } catch (err) {
      // Dropped rather than passed on: nothing unredacted may leave, and nothing is logged but the error.
      this.d.m.errors.inc();
      this.d.log.error({ err: errText(err) }, 'analysis failed; utterance dropped');
    }
  }

  onEnded(callId: string): void {
    const call = this.#calls.get(callId);
    const typed = this.#typed.delete(callId);
    // Also a call that had no transcript yet: one arriving now would open state for good.
    this.#endedIds.delete(callId);
    this.#endedIds.add(callId);
    if (this.#endedIds.size > ENDED_IDS_KEEP) this.#endedIds.delete(this.#endedIds.values().next().value as string);
    if (!call) return;
    this.#calls.delete(callId);
    this.#ending.add(callId);
    if (this.#pending.has(callId)) this.#chain(callId, async () => this.#end(call, typed));
    else this.#end(call, typed);
  }

  #end(call: CallAnalysis, typed: boolean): void {
    const callId = call.callId;
    this.#ending.delete(callId);
    try {
      const { hits, intents, qa } = call.end(typed);
      this.#emitHits(callId, hits, call.rules.endMs);
      for (const i of intents) {
        this.d.bus.emit('call.event', { callId, kind: 'intent', tMs: call.rules.endMs, data: { intent: i.intent, confidence: i.confidence, evidence: i.evidence } });
      }
      for (const q of qa) this.d.bus.emit('call.event', { callId, kind: 'qa', tMs: call.rules.endMs, data: { scorecard: q.scorecard, score: q.score } });
      this.#ended.set(callId, call.summary());
      if (this.#ended.size > ENDED_KEEP) this.#ended.delete(this.#ended.keys().next().value as string);
    } catch (err) {
      this.d.m.errors.inc();
      this.d.log.error({ err: errText(err) }, 'end-of-call analysis failed');
    }
  }

  summary(callId: string): CallAnalysisSummary | undefined {
    return this.#calls.get(callId)?.summary() ?? this.#ended.get(callId);
  }

  topics(opts?: { k?: number; minSize?: number }): Topic[] {
    return this.#topics.topics(opts);
  }

  get liveCalls(): number {
    return this.#calls.size;
  }

  /** Per-call state held now: live calls and their queues (0 once every call ended), and the bounded ended-call cache. */
  size(): { calls: number; ending: number; pending: number; typed: number; ended: number; endedIds: number } {
    return { calls: this.#calls.size, ending: this.#ending.size, pending: this.#pending.size, typed: this.#typed.size, ended: this.#ended.size, endedIds: this.#endedIds.size };
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
    this.#calls.clear();
    this.#ended.clear();
    this.#endedIds.clear();
    this.#typed.clear();
  }

  #deliver(a: Analysed, vector?: Float32Array): void {
    const u = a.utterance;
    this.d.m.utterances.inc({ lang: u.lang });
    for (const type of a.redactionTypes) this.d.m.redactions.inc({ type });
    // Before the utterance: a recording holds this audio until it knows what to mute.
    this.d.bus.emit('utterance.muted', { callId: u.callId, legId: u.legId, seq: u.seq, spans: a.muted });
    this.d.bus.emit('utterance', u);
    if (u.role === 'customer') this.#topics.add(u.callId, u.text, u.id, vector);
    this.#emitHits(u.callId, a.hits);
  }

  #chain(callId: string, job: () => Promise<void>): void {
    const next = (this.#pending.get(callId) ?? Promise.resolve())
      .then(job)
      .catch((err: unknown) => {
        this.d.m.errors.inc();
        this.d.log.error({ err: errText(err) }, 'analysis failed; utterance dropped');
      });
    this.#pending.set(callId, next);
    void next.then(() => {
      if (this.#pending.get(callId) === next) this.#pending.delete(callId);
    });
  }

  /** Resolves when queued model work is done (tests, shutdown), or only that of one call. */
  async idle(callId?: string): Promise<void> {
    if (callId !== undefined) {
      for (let p = this.#pending.get(callId); p; p = this.#pending.get(callId)) await p;
      return;
    }
    while (this.#pending.size) await Promise.all(this.#pending.values());
  }

  #emitHits(callId: string, hits: Hit[], endMs = 0): void {
    for (const h of hits) {
      this.d.m.categories.inc({ rule: h.rule.id });
      const data: Record<string, unknown> = { rule: h.rule.id };
      if (h.rule.severity) data.severity = h.rule.severity;
      if (h.at) data.utteranceSeq = h.at.seq;
      if (h.at?.utteranceId !== undefined) data.utteranceId = h.at.utteranceId;
      this.d.bus.emit('call.event', { callId, ...(h.at ? { legId: h.at.legId } : {}), kind: 'category', tMs: h.at?.endMs ?? endMs, data });
    }
  }
}
