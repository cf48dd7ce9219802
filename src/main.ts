import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { PipelineBus } from './call/events.js';
import { CallRegistry } from './call/registry.js';
import type { Config } from './config/schema.js';
import { createLogger } from './log.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import { attachPipelineMetrics } from './metrics/pipeline-metrics.js';
import { connectStore, openStore } from './store/index.js';
import type { Store } from './store/types.js';
import { createSpeech, type SpeechStage } from './speech/index.js';
import { createAnalysis, type AnalysisStage } from './analysis/index.js';
import { createKpi, surveyRoutes } from './kpi/index.js';
import { createAlarms } from './alarms/index.js';
import { backfillDemo, careRoutes, createCare, type CareStage } from './care/index.js';
import { createWebServer } from './web/index.js';
import { createReportScheduler } from './web/reports/index.js';
import { ruleRoutes } from './web/routes/rules.js';
import { storedRuleSources } from './web/routes/rule-packs.js';
import { forkRoutes, createAudioSocketServer, ForkGate, type AudioSocketServer } from './ingest/fork/index.js';
import { createSiprecIngest, type SiprecIngest } from './ingest/siprec/index.js';
import { ingestStatus } from './ingest/status.js';
import { startDemoLoop } from './ingest/import/demo.js';
import { createSync } from './sync/index.js';
import { createRetentionJob } from './store/retention.js';
import { createRecordings, type RecordingsStage } from './recordings/index.js';
import { storeImportLedger } from './ingest/import/ledger.js';
import { CallIdentity, loadCallerSalt } from './call/identity.js';
import { createConversations, type Conversations } from './ingest/conversations/index.js';

/** On shutdown, how long calls in flight may still wait for the recogniser before they end. */
const SHUTDOWN_GRACE_MS = 3000;
/** A call's end waits for its recognition while workers make progress; cut after this long without any. */
const DRAIN_STALL_MS = 30_000;
/** And never longer than this (a backlog of 3 x speech.maxQueueSeconds per leg clears well within it). */
const DRAIN_CAP_MS = 10 * 60_000;

/** The analysis pipeline without any network ingest: used by `serve` and by `earshot import`. */
export interface Pipeline {
  config: Config;
  log: Logger;
  metrics: Metrics;
  store: Store;
  bus: PipelineBus;
  calls: CallRegistry;
  speech: SpeechStage;
  analysis: AnalysisStage;
  alarms: Awaited<ReturnType<typeof createAlarms>>;
  kpi: ReturnType<typeof createKpi>;
  care: CareStage;
  /** Encrypted per-leg recordings (inert unless privacy.storeAudio). */
  recordings: RecordingsStage;
  /** Chat, messaging, e-mail and pre-transcribed calls: messages into the same analysis path. */
  conversations: Conversations;
  /** End calls in flight (interrupted, after a short recognition grace), flush and close everything. */
  close(): Promise<void>;
}

export async function createPipeline(config: Config, log: Logger = createLogger(config.log.level), opts: { now?: () => number; sweepMs?: number } = {}): Promise<Pipeline> {
  mkdirSync(config.dataDir, { recursive: true });
  const metrics = createMetrics();
  const store = openStore({
    path: join(config.dataDir, 'earshot.db'),
    log,
    metrics,
    reads: { workers: config.store.readWorkers, timeoutMs: config.store.readTimeoutMs, maxQueue: config.store.readQueue },
  });
  const bus = new PipelineBus();
  bus.onListenerError = (event, err) => {
    metrics.badInput('pipeline', event);
    log.error({ err, event }, 'pipeline listener failed');
  };
  // The drain reads `speech` and `analysis`, created just below: calls only close once ingest runs.
  let speech: SpeechStage | undefined;
  let analysisStage: AnalysisStage | undefined;
  const calls = new CallRegistry(bus, config.limits.maxCalls, {
    // A call ends once its legs are recognised: waited for as long as the recogniser is working
    // through a backlog (overload), cut only if it stops making progress, or after the hard cap.
    drain: async (call) => {
      await speech?.legsDone([...call.legs.keys()], DRAIN_STALL_MS);
      // Its last utterances may still wait for the semantic layer (at most budgetMs each): the
      // end (KPIs, QA, "ends negative") must see them.
      await analysisStage?.idle(call.info.callId);
    },
    drainTimeoutMs: DRAIN_CAP_MS,
    onDrainError: (err) => log.error({ err }, 'call drain failed; ending the call with what was recognised'),
    identity: new CallIdentity(loadCallerSalt(config.dataDir, config.privacy.callerSalt), config.kpi.queueMap),
  });
  connectStore(store, bus);
  attachPipelineMetrics(bus, metrics);

  speech = await createSpeech({ config, log, bus, metrics });
  const analysis = await createAnalysis({ config, log, bus, metrics });
  analysisStage = analysis;
  // Packs saved from the console (rules table) replace their files; a bad stored pack is logged
  // and the file set stays in force.
  const stored = storedRuleSources(store.db);
  if (stored.length) {
    const r = await analysis.reloadRules(stored);
    if (!r.ok) log.error({ errors: r.errors }, 'stored rule packs invalid; using the rule files');
  }
  // Analysis is created first so its call.ended handler (final intents, QA) runs before kpi's.
  const kpi = createKpi({ config, log, bus, store, metrics, summaryExtra: (id) => ({ qa: analysis.callSummary(id)?.qa }) });
  const alarms = await createAlarms({ config, log, bus, store, metrics, rulesPath: config.alarms.rulesDir, consoleUrl: config.http.publicUrl || undefined });
  // After kpi: its call.ended handler has stored the summary the survey triggers read.
  const care = createCare({ config, log, bus, store, metrics, alarmRules: () => alarms.rules() });
  // Both only read the store and run on timers (sync only when enabled).
  const sync = createSync({ config, log, store, metrics });
  const retention = createRetentionJob({ config, log, store, metrics });
  const recordings = createRecordings({ config, log, bus, store, metrics });
  const conversations = createConversations({ config, log, bus, calls, store, metrics, now: opts.now, sweepMs: opts.sweepMs });

  let closed = false;
  const speechStage = speech;
  return {
    config, log, metrics, store, bus, calls, speech: speechStage, analysis, alarms, kpi, care, recordings, conversations,
    async close() {
      if (closed) return;
      closed = true;
      conversations.close();
      // Calls still in flight are cut by the shutdown: they end as interrupted, with what the
      // recogniser finished within a short grace. A normal call end waits up to a minute for a
      // backlog; a stopping appliance must not (systemd gives 45 s, `serve` hard-exits at 30 s).
      await calls.closeAll('interrupted', SHUTDOWN_GRACE_MS);
      // The workers may still chew on queued audio nobody waits for (what they emit now comes after
      // call.ended, which analysis ignores): stop them alongside the rest, store closed first.
      // Awaited to the end: a worker torn down by process exit in the middle of an onnxruntime run
      // aborts the whole process (SIGABRT).
      const speechStopped = speechStage.close().catch((err: unknown) => log.error({ err }, 'speech stage did not close cleanly'));
      analysis.close();
      await recordings.close().catch((err: unknown) => log.error({ err }, 'recordings did not close cleanly'));
      await alarms.close();
      care.close();
      kpi.close();
      await sync.close();
      await retention.close();
      store.close();
      await speechStopped;
    },
  };
}

export interface Appliance {
  pipeline: Pipeline;
  app: FastifyInstance;
  url: string;
  sip?: { udp: number; tcp: number };
  /** Each ingest front's state (open, local-only, closed, down, off) and how to open it. */
  ingest(): ReturnType<typeof ingestStatus>;
  close(): Promise<void>;
}

/** `earshot serve`: the pipeline plus the web server, SIPREC and audio-fork ingest, and the demo loop. */
export async function startAppliance(config: Config, opts: { demo?: boolean; log?: Logger; now?: () => number; sweepMs?: number } = {}): Promise<Appliance> {
  const log = opts.log ?? createLogger(config.log.level);
  const p = await createPipeline(config, log, { now: opts.now, sweepMs: opts.sweepMs });
  const { bus, calls, metrics, store, speech, alarms } = p;
  // One set of ingest keys and connection caps for every fork protocol (keys resolved here: a bad
  // key file stops start-up).
  const gate = config.forks.enabled ? new ForkGate(config, metrics) : undefined;
  let siprec: SiprecIngest | undefined;
  let audioSocket: AudioSocketServer | undefined;
  const fronts = () => ingestStatus(config, { sip: siprec, gate, audioSocket });

  const app = await createWebServer({
    config, log, bus, calls, metrics, store, alarms,
    readiness: () => ({
      store: { ok: store.db.open, detail: store.path },
      speech: speech.ready(),
      // Rules carry on without embeddings: reported, never a reason to leave rotation.
      semantic: { ok: true, ...p.analysis.semantic() },
      // Audio stopped by the disk guard is reported, not a reason to leave rotation.
      recordings: p.recordings.ready(),
      // Each ingest front: not ready while a configured one cannot take calls (drachtio down).
      ...fronts(),
    }),
  });
  // Behind the same session guard as every /api/v1 route.
  await app.register(surveyRoutes({ store, metrics, config, onSurvey: (s) => p.care.onSurvey(s) }), { prefix: '/api/v1' });
  await app.register(careRoutes({ store, cases: p.care.cases, metrics, answerWindowDays: config.surveys.answerWindowDays }), { prefix: '/api/v1' });
  await app.register(ruleRoutes({ config, store, metrics, log, onRulesChanged: (s) => p.analysis.reloadRules(s), onAlarmRulesChanged: (r) => alarms.reloadRules(r) }), { prefix: '/api/v1' });
  const reports = createReportScheduler({ store, log, consoleUrl: config.http.publicUrl || undefined });
  // Live messages need an ingest key listing protocol `messages`; imports and reads a console session.
  await app.register(p.conversations.routes());
  if (gate) await app.register(forkRoutes({ config, log, bus, calls, metrics }, gate));
  audioSocket = gate && config.forks.audioSocketPort ? await createAudioSocketServer({ config, log, bus, calls, metrics }, { host: config.forks.audioSocketHost, gate }) : undefined;
  siprec = config.sip.front === 'off' ? undefined : await createSiprecIngest({ config, log, bus, calls, metrics });

  const url = await app.listen({ host: config.http.host, port: config.http.port });
  log.info({ url, sip: siprec?.address(), engine: speech.ready().engine }, 'earshot ready');
  // Say plainly what is closed and how to open it (also on /readyz and in the console).
  for (const [front, s] of Object.entries(fronts())) {
    if (s.state === 'closed' || s.state === 'local-only' || s.state === 'down') log.warn({ front, state: s.state, how: s.how }, `ingest ${s.state}: ${s.detail}`);
  }

  const demoOn = opts.demo || config.demo.enabled;
  // A month of history so every dashboard has data at once (first start only; `earshot demo purge` removes it).
  if (demoOn && config.demo.backfillDays > 0) {
    try {
      backfillDemo({ store, config, log, metrics }, { days: config.demo.backfillDays });
    } catch (err) {
      log.error({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'demo history not written');
    }
  }
  const demo = demoOn
    ? startDemoLoop({ log, bus, calls, metrics, speech, imports: storeImportLedger(store) }, config.demo)
    : undefined;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      log.info('shutting down: no new calls; ending calls in flight');
      await siprec?.close();
      await audioSocket?.close();
      await demo?.stop();
      reports.close();
      await app.close();
      await p.close();
      log.info('shutdown complete');
    })());
  return { pipeline: p, app, url, sip: siprec?.address(), ingest: fronts, close };
}
