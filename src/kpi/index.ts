import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { PipelineBus } from '../call/events.js';
import type { CallEvent, CallState } from '../call/types.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../store/types.js';
import { createRollupQueue, type RollupQueueOptions } from './rollup-queue.js';
import { rollupCall } from './rollups.js';
import { CallTracker } from './tracker.js';
import type { CallKpis, KpiOptions } from './types.js';
import { textKpis } from './text.js';

export type { CallKpis } from './types.js';
export { textKpis, type TextKpis, type TextMessage } from './text.js';
export { npsReport, npsClass, type NpsReportRow, type NpsReportOptions, type NpsClass } from './nps.js';
export { recordSurvey, importSurveysCsv, type SurveyInput, type SurveyRow, type ImportResult } from './surveys.js';
export { surveyRoutes, type SurveyDeps } from './routes.js';
export { detractorRootCause, highRiskCustomers, highRiskCsv, type RootCause, type RiskCustomer } from './risk.js';
export { fitNpsModel, predictNps, callFeatures, type NpsModel, type NpsFitResult } from './nps-model.js';
export { queryRollups, rollupBucket, rollupCall, rollupKeys, writeRollups, BUCKET_MS, type RollupRow, type RollupMetrics, type RollupSource, type Bucket, type Dim } from './rollups.js';
export { createRollupQueue, type RollupQueue, type RollupQueueOptions } from './rollup-queue.js';

export interface KpiService {
  /** Live KPIs of an active call (as of its latest event), or undefined if unknown. */
  live(callId: string): CallKpis | undefined;
  /**
   * Final KPIs: computes, forgets the call and returns them. Called by the call.ended listener
   * (which also writes `{ ...summaryExtra, kpi }` to calls.summary and updates rollups) or by hand.
   */
  finalize(callId: string, endedAt?: number): CallKpis | undefined;
  /** Per-call state held (tests, diagnostics): 0 with no call live. */
  size(): { calls: number; typed: number };
  /** Resolves when the rollups of the calls ended so far are written (at once without a read pool). */
  rollupsSettled(): Promise<void>;
  close(): void;
}

export interface KpiDeps {
  config: Pick<Config, 'kpi' | 'site'>;
  log: Logger;
  bus: PipelineBus;
  store: Store;
  metrics: Metrics;
  /** Interruption yield window and negative threshold; defaults documented in types.ts. */
  options?: Partial<Omit<KpiOptions, 'minCallSeconds'>>;
  /**
   * Other stages' end-of-call results stored beside the KPIs in calls.summary (one JSON written
   * once), e.g. `(id) => ({ qa: analysis.callSummary(id)?.qa })`. Rollups read `qa[].score`.
   */
  summaryExtra?: (callId: string) => Record<string, unknown> | undefined;
  /** The off-loop rollup queue's bounds (defaults in rollup-queue.ts). */
  rollupQueue?: RollupQueueOptions;
}

export function createKpi(deps: KpiDeps): KpiService {
  const { config, log, bus, store, metrics } = deps;
  const opts: KpiOptions = { minCallSeconds: config.kpi.minCallSeconds, interruptYieldMs: 1500, negativeBelow: -0.2, ...deps.options };
  const calls = new Map<string, CallTracker>();
  const reg = metrics.registry;
  // Reuse the metrics when a second service shares the registry (restarts in tests and tools).
  const finalized =
    (reg.getSingleMetric('earshot_kpi_calls_finalized_total') as Counter<'counted'> | undefined) ??
    new Counter({ name: 'earshot_kpi_calls_finalized_total', help: 'Calls whose final KPIs were computed, by whether they were long enough to enter averages', labelNames: ['counted'] as const, registers: [reg] });
  const liveGauge = (reg.getSingleMetric('earshot_kpi_live_calls') as Gauge | undefined) ?? new Gauge({ name: 'earshot_kpi_live_calls', help: 'Calls whose KPIs are being tracked', registers: [reg] });
  (liveGauge as unknown as { collect: () => void }).collect = () => liveGauge.set(calls.size);

  const rollupOpts = { siteId: config.site.id, repeatWindowDays: config.kpi.repeatWindowDays };
  // With a read pool the rollup read leaves the event loop; without one (a memory store, a CLI
  // tool) it runs here, as on a single box before.
  const rollups = store.reads ? createRollupQueue({ store, metrics, log, rollup: rollupOpts }, deps.rollupQueue) : undefined;
  const tracker = (callId: string) => calls.get(callId);
  /** Conversations of messages (ingest 'conversation'): their text KPIs join the summary at the end. */
  const typed = new Map<string, string>();
  const offs = [
    bus.on('call.started', (c) => {
      if (!calls.has(c.callId)) calls.set(c.callId, new CallTracker(c.callId, c.startedAt, opts));
      if (c.ingest === 'conversation') typed.set(c.callId, c.channel ?? 'voice');
    }),
    bus.on('leg.added', (l) => tracker(l.callId)?.addLeg(l.legId, l.role)),
    bus.on('utterance', (u) => tracker(u.callId)?.utterance(u)),
    bus.on('leg.stats', (s) => tracker(s.callId)?.stats(s.legId, s.stats)),
    bus.on('alarm', (a) => {
      const t = tracker(a.callId);
      if (t) t.alarms++;
    }),
    bus.on('call.event', (e) => onEvent(e)),
    bus.on('call.ended', (e) => onEnded(e.callId, e.state, e.endedAt)),
  ];

  function onEvent(e: CallEvent): void {
    const t = tracker(e.callId);
    if (!t) return;
    if (e.kind !== 'speech') return t.event(e);
    const { startMs, endMs } = e.data ?? {};
    // VAD segments come from our own speech stage, but a bad one must not poison the KPIs.
    if (typeof startMs !== 'number' || typeof endMs !== 'number' || !Number.isFinite(startMs) || !Number.isFinite(endMs) || startMs < 0 || endMs < startMs) {
      metrics.badInput('kpi', 'speech-segment');
      return;
    }
    if (!e.legId) return metrics.badInput('kpi', 'speech-no-leg');
    t.speech(e.legId, startMs, endMs);
  }

  function finalize(callId: string, endedAt?: number): CallKpis | undefined {
    const t = calls.get(callId);
    if (!t) return undefined;
    calls.delete(callId);
    // Live calls: the wall clock covers trailing silence. Imports run faster than real time,
    // so their wall clock is shorter than the audio: take whichever is longer.
    const live = t.compute();
    const wall = endedAt !== undefined ? endedAt - t.startedAt : 0;
    const kpi = wall > live.durationMs ? t.compute(wall) : live;
    finalized.inc({ counted: kpi.short ? 'no' : 'yes' });
    return kpi;
  }

  function onEnded(callId: string, state: CallState, endedAt: number): void {
    const kpi = finalize(callId, endedAt);
    const channel = typed.get(callId);
    typed.delete(callId);
    if (!kpi) return;
    try {
      // The message index is written synchronously as messages arrive: complete at call end.
      const text = channel !== undefined ? { channel, ...textKpis(store.repos.conversations.messages(callId)) } : undefined;
      store.endCall(callId, state, endedAt, { ...deps.summaryExtra?.(callId), kpi, ...(text ? { text } : {}) });
      store.flush(); // the end is queued; rollups read it back
      if (rollups) rollups.add(callId);
      else rollupCall(store.repos.kpiRollups, callId, rollupOpts);
    } catch (err) {
      log.error({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'kpi: could not persist final KPIs');
    }
  }

  return {
    live: (callId) => calls.get(callId)?.compute(),
    finalize,
    size: () => ({ calls: calls.size, typed: typed.size }),
    rollupsSettled: () => rollups?.settled() ?? Promise.resolve(),
    close() {
      rollups?.close();
      for (const off of offs) off();
      calls.clear();
      typed.clear();
    },
  };
}
