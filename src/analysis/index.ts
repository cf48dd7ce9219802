// The analysis stage: redaction, sentiment, voice emotion, fusion, categories and intents.
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { PipelineBus } from '../call/events.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import type { CallAnalysisSummary } from './call-analysis.js';
import { analysisMetrics } from './metrics.js';
import { RulesError, loadRules, type RuleSet, type RuleSource } from './rules/index.js';
import { segmenter } from './sentiment/index.js';
import { loadSer, type SerModel, type SerModelError, type SerProvider } from './emotion/ser.js';
import { AnalysisRunner } from './stage.js';
import { createSemantic, type SemanticLayer, type SemanticState } from './semantic/index.js';
import type { Topic } from './topics.js';

export interface AnalysisStage {
  /**
   * Re-reads the rules directory plus `extra` (rules stored in the database: pass all of them each
   * time); on any error the running set is kept and the errors returned.
   */
  reloadRules(extra?: RuleSource[]): Promise<{ ok: true; count: number } | { ok: false; errors: string[] }>;
  /** Validates the directory plus `extra` as reloadRules would, without applying (for the rules API). */
  checkRules(extra?: RuleSource[]): Promise<{ ok: true; count: number } | { ok: false; errors: string[] }>;
  /** Live or recently ended call (the last 500 ended calls are kept). */
  callSummary(callId: string): CallAnalysisSummary | undefined;
  /** Topics of the last 2000 customer utterances (all calls). Terms are transcript content: console only. */
  topics(opts?: { k?: number; minSize?: number }): Topic[];
  /**
   * Resolves once utterances queued behind the speech-emotion model or the semantic layer are out
   * (immediate without them); with a call id, only that call's (bounded by the budget per utterance).
   */
  idle(callId?: string): Promise<void>;
  /** The semantic layer's state for /readyz (`off` when disabled); never fails readiness. */
  semantic(): { state: SemanticState; detail: string };
  /** The speech-emotion model slot for /readyz: off, or the provider it runs on (and why not the one asked). */
  ser(): { state: 'off' | 'failed' | SerProvider; detail: string; code?: string };
  /** Resolves true once the semantic layer can serve the running rules (server up, examples embedded). */
  semanticPrimed(timeoutMs?: number): Promise<boolean>;
  /** Per-call state held (tests, diagnostics): `ended` is the bounded summary cache, the rest is 0 with no call live. */
  size(): { calls: number; ending: number; pending: number; typed: number; ended: number; endedIds: number };
  close(): void;
}

export interface AnalysisDeps {
  config: Config;
  log: Logger;
  bus: PipelineBus;
  metrics: Metrics;
  /** Assigns utterance ids before the store sees them, so category events can cite them. */
  nextUtteranceId?: () => number;
}

/** Loads the rules (throws RulesError, code EARSHOT_ERR_RULES, if they are invalid) and subscribes. */
export async function createAnalysis(deps: AnalysisDeps): Promise<AnalysisStage> {
  const dir = resolve(deps.config.analysis.rulesDir);
  const log = deps.log.child({ stage: 'analysis' });
  const m = analysisMetrics(deps.metrics);
  const first = await loadRules(dir);
  if (!first.ok) {
    deps.metrics.badInput('rules', 'invalid');
    throw new RulesError(first.errors);
  }
  let set: RuleSet = first.set;
  m.rules.set(set.rules.length);
  segmenter(); // load jieba's dictionary now, not on the first Chinese utterance of a live call
  let ser: SerModel | undefined;
  let serState: ReturnType<AnalysisStage['ser']> = { state: 'off', detail: 'analysis.serModel is empty: rule-based emotion fusion' };
  if (deps.config.analysis.serModel) {
    // Optional: a broken model degrades to the rule-based fusion instead of stopping the appliance.
    const asked = deps.config.analysis.serProvider;
    try {
      ser = await loadSer(resolve(deps.config.analysis.serModel), { provider: asked });
      m.ser.set({ provider: ser.provider }, 1);
      serState = ser.providerFallback
        ? { state: ser.provider, code: 'EARSHOT_ERR_GPU_UNAVAILABLE', detail: `analysis.serProvider ${asked} unusable: ${ser.providerFallback}; the model runs on cpu (docs/gpu.md)` }
        : { state: ser.provider, detail: `speech-emotion model on ${ser.provider}` };
      if (ser.providerFallback) log.warn({ code: serState.code, provider: ser.provider, asked }, 'speech-emotion model runs on cpu');
    } catch (err) {
      const code = (err as SerModelError).code;
      serState = { state: 'failed', code, detail: (err as Error).message };
      log.error({ code, err: (err as Error).message }, 'speech-emotion model not used');
    }
  }
  // Optional too: a dead or slow embeddings server degrades to rules only, never stops analysis.
  // The rule examples are embedded when the first utterance wants them (a few seconds of one core;
  // until then utterances get rules only, counted as `warming`), so an idle start costs nothing.
  const semantic: SemanticLayer | undefined = createSemantic(deps.config, deps.metrics, log);
  const runner = new AnalysisRunner({ log, bus: deps.bus, metrics: deps.metrics, m, nextUtteranceId: deps.nextUtteranceId, rules: () => set, ser, semantic, maxLiveCalls: Math.max(100, deps.config.limits.maxCalls * 2) });
  log.info({ rules: set.rules.length, files: set.files.length, ser: Boolean(ser), semantic: semantic ? (deps.config.analysis.semantic.url ? 'external' : 'embedded') : 'off' }, 'analysis ready');
  return {
    async checkRules(extra) {
      const r = await loadRules(dir, extra);
      return r.ok ? { ok: true, count: r.set.rules.length } : { ok: false, errors: r.errors };
    },
    async reloadRules(extra) {
      const r = await loadRules(dir, extra);
      if (!r.ok) {
        deps.metrics.badInput('rules', 'invalid');
        log.warn({ errors: r.errors }, 'rules not reloaded; running set unchanged');
        return { ok: false, errors: r.errors };
      }
      // Calls already running keep the set they started with: a call is judged by one rule set.
      set = r.set;
      m.rules.set(set.rules.length);
      log.info({ rules: set.rules.length }, 'rules reloaded');
      return { ok: true, count: set.rules.length };
    },
    callSummary: (callId) => runner.summary(callId),
    topics: (opts) => runner.topics(opts),
    idle: (callId) => runner.idle(callId),
    ser: () => serState,
    size: () => runner.size(),
    semantic: () => semantic?.state() ?? { state: 'off', detail: 'analysis.semantic.enabled is false' },
    semanticPrimed: async (timeoutMs) => (semantic ? semantic.prime(set, timeoutMs) : false),
    close: () => {
      runner.close();
      void ser?.close();
      void semantic?.close();
    },
  };
}

export type { CallAnalysisSummary } from './call-analysis.js';
export type { IntentResult } from './intents.js';
export { computeIntents } from './intents.js';
export { TopicDiscovery, terms as topicTerms, type Topic } from './topics.js';
export { detectLang, type Lang } from './lang.js';
export { redact, CallRedactor, REDACTION_TOKEN, type Redaction, type RedactionType } from './redact/index.js';
export { sentiment } from './sentiment/index.js';
export { fuse, LegBaseline, Trajectory } from './emotion/index.js';
export { loadRules, buildRuleSet, type RuleSource, parseRuleSource, collectConcepts, type Concepts, type Names, CallRules, RulesError, type Rule, type RuleSet, type Hit, type UtteranceFacts } from './rules/index.js';
