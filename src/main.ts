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
import { storedRuleSources } from './analysis/rules/packs.js';
import { RULE_READS } from './analysis/rules/reads.js';
import { ALARM_READS } from './alarms/reads.js';
import { REPORT_READS } from './web/reports/reads.js';
import { forkRoutes, createAudioSocketServer, ForkGate, type AudioSocketServer } from './ingest/fork/index.js';
import { createSiprecIngest, type SiprecIngest } from './ingest/siprec/index.js';
import { ingestStatus } from './ingest/status.js';
import { startDemoLoop } from './ingest/import/demo.js';
import { startDemoChats } from './ingest/conversations/demo.js';
import { createSync } from './sync/index.js';
import { createRetentionJob } from './store/retention.js';
import { createRecordings, type RecordingsStage } from './recordings/index.js';
import { storeImportLedger } from './ingest/import/ledger.js';
import { CallIdentity, loadCallerSalt } from './call/identity.js';
import { createConversations, type Conversations } from './ingest/conversations/index.js';
import type { Transcript } from './call/types.js';
import { availableParallelism } from 'node:os';
import { EarshotError } from './errors.js';
import {
  CLUSTER_EVENTS, clusterMetrics, clusterRoutes, connectSite, dispatchLegs, isAll, joinSite, natsBus, natsOptions, nodeName, takeLegs, watchIngestLoss,
  type BusAdapter, type ClusterEvent, type LegDispatch, type NodeRole, type SpeechLeases,
} from './cluster/index.js';

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

export async function createPipeline(
  config: Config,
  log: Logger = createLogger(config.log.level),
  opts: {
    now?: () => number;
    sweepMs?: number;
    speech?: (d: { bus: PipelineBus; metrics: Metrics }) => Promise<SpeechStage>;
    /** Tests: the alarm and care stages' clock (cooldowns, SLAs, the outbox), so an SLA can pass without waiting a day. */
    clock?: () => number;
    /** A core without ingest: calls are owned by ingest nodes (cluster). */
    callsElsewhere?: boolean;
  } = {},
): Promise<Pipeline> {
  mkdirSync(config.dataDir, { recursive: true });
  const metrics = createMetrics();
  const store = openStore({
    path: join(config.dataDir, 'earshot.db'),
    log,
    metrics,
    callsElsewhere: opts.callsElsewhere,
    // The stages' own heavy reads (dry runs) run in the same pool: their task modules are loaded beside the store's.
    reads: { workers: config.store.readWorkers, timeoutMs: config.store.readTimeoutMs, maxQueue: config.store.readQueue, stageTasks: [RULE_READS, ALARM_READS, REPORT_READS] },
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

  speech = opts.speech ? await opts.speech({ bus, metrics }) : await createSpeech({ config, log, bus, metrics });
  const analysis = await createAnalysis({ config, log, bus, metrics });
  analysisStage = analysis;
  // Packs saved from the console (rules table) replace their files; a bad stored pack is logged
  // and the file set stays in force.
  const stored = storedRuleSources(store.repos.rulePacks);
  if (stored.length) {
    const r = await analysis.reloadRules(stored);
    if (!r.ok) log.error({ errors: r.errors }, 'stored rule packs invalid; using the rule files');
  }
  // Analysis is created first so its call.ended handler (final intents, QA) runs before kpi's.
  const kpi = createKpi({ config, log, bus, store, metrics, summaryExtra: (id) => ({ qa: analysis.callSummary(id)?.qa }) });
  const alarms = await createAlarms({ config, log, bus, store, metrics, rulesPath: config.alarms.rulesDir, consoleUrl: config.http.publicUrl || undefined, clock: opts.clock });
  // After kpi: its call.ended handler has stored the summary the survey triggers read.
  const care = createCare({ config, log, bus, store, metrics, alarmRules: () => alarms.rules(), clock: opts.clock });
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
export interface ApplianceOptions {
  demo?: boolean;
  log?: Logger;
  /** Cluster: recognition elsewhere (speech nodes) instead of the local workers. */
  speech?: (d: { bus: PipelineBus; metrics: Metrics }) => Promise<SpeechStage>;
  /** Cluster: false = a core without SIPREC/fork ingest of its own. */
  ingest?: boolean;
  /** Tests: the conversations' idle clock and sweep period. */
  now?: () => number;
  sweepMs?: number;
  /** Tests: the alarm and care stages' clock, also for survey answers and the care routes. */
  clock?: () => number;
  /** Cluster: the site is full; SIP OPTIONS answers 503. */
  atCapacity?: () => boolean;
  /** Cluster: more routes behind the session guard (/api/v1/cluster/nodes). */
  routes?: (app: FastifyInstance, p: Pipeline) => Promise<void>;
}

export async function startAppliance(config: Config, opts: ApplianceOptions = {}): Promise<Appliance> {
  const log = opts.log ?? createLogger(config.log.level);
  // A core without ingest: calls are owned by ingest nodes, a restart here must not cut them.
  const p = await createPipeline(config, log, { now: opts.now, sweepMs: opts.sweepMs, speech: opts.speech, clock: opts.clock, callsElsewhere: opts.ingest === false });
  const ingest = opts.ingest ?? true;
  const { bus, calls, metrics, store, speech, alarms } = p;
  // One set of ingest keys and connection caps for every fork protocol (keys resolved here: a bad
  // key file stops start-up).
  const gate = ingest && config.forks.enabled ? new ForkGate(config, metrics) : undefined;
  let siprec: SiprecIngest | undefined;
  let audioSocket: AudioSocketServer | undefined;
  const off = { ok: true, state: 'off' as const, detail: 'ingest runs on other nodes (--role)' };
  const fronts = () => (ingest ? ingestStatus(config, { sip: siprec, gate, audioSocket }) : { sip: off, forks: off, audiosocket: off });

  const app = await createWebServer({
    config, log, bus, calls, metrics, store, alarms,
    readiness: () => ({
      store: { ok: store.isOpen(), detail: store.path },
      speech: speech.ready(),
      // Rules carry on without embeddings: reported, never a reason to leave rotation.
      semantic: { ok: true, ...p.analysis.semantic() },
      // A speech-emotion model that failed or fell back to the cpu: said, never a reason to leave rotation.
      ser: { ok: true, ...p.analysis.ser() },
      // Audio stopped by the disk guard is reported, not a reason to leave rotation.
      recordings: p.recordings.ready(),
      // Each ingest front: not ready while a configured one cannot take calls (drachtio down).
      ...fronts(),
    }),
  });
  // Behind the same session guard as every /api/v1 route.
  await app.register(surveyRoutes({ store, metrics, config, clock: opts.clock, onSurvey: (s) => p.care.onSurvey(s) }), { prefix: '/api/v1' });
  await app.register(careRoutes({ store, cases: p.care.cases, metrics, clock: opts.clock, answerWindowDays: config.surveys.answerWindowDays }), { prefix: '/api/v1' });
  await app.register(ruleRoutes({ config, store, metrics, log, onRulesChanged: (s) => p.analysis.reloadRules(s), onAlarmRulesChanged: (r) => alarms.reloadRules(r) }), { prefix: '/api/v1' });
  if (opts.routes) await opts.routes(app, p);
  const demoOn = opts.demo || config.demo.enabled;
  // A month of history so every dashboard has data at once (first start only; `earshot demo purge`
  // removes it). Before the report scheduler: its catch-up writes the day, week and month reports over it.
  if (demoOn && config.demo.backfillDays > 0) {
    try {
      backfillDemo({ store, config, log, metrics }, { days: config.demo.backfillDays });
    } catch (err) {
      log.error({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'demo history not written');
    }
  }
  const reports = createReportScheduler({ store, log, consoleUrl: config.http.publicUrl || undefined });
  // Live messages need an ingest key listing protocol `messages`; imports and reads a console session.
  await app.register(p.conversations.routes());
  if (gate) await app.register(forkRoutes({ config, log, bus, calls, metrics }, gate));
  audioSocket = gate && config.forks.audioSocketPort ? await createAudioSocketServer({ config, log, bus, calls, metrics }, { host: config.forks.audioSocketHost, gate }) : undefined;
  siprec = config.sip.front === 'off' || !ingest ? undefined : await createSiprecIngest({ config, log, bus, calls, metrics, store }, { atCapacity: opts.atCapacity });

  const url = await app.listen({ host: config.http.host, port: config.http.port });
  log.info({ url, sip: siprec?.address(), engine: speech.ready().engine }, 'earshot ready');
  // Say plainly what is closed and how to open it (also on /readyz and in the console).
  for (const [front, s] of Object.entries(fronts())) {
    if (s.state === 'closed' || s.state === 'local-only' || s.state === 'down') log.warn({ front, state: s.state, how: s.how }, `ingest ${s.state}: ${s.detail}`);
  }

  const demo = demoOn
    ? startDemoLoop({ log, bus, calls, metrics, speech, imports: storeImportLedger(store) }, config.demo, { renderDir: join(config.dataDir, 'demo-calls') })
    : undefined;
  const demoChats = demoOn ? startDemoChats(p.conversations.engine, log.child({ stage: 'demo' })) : undefined;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      log.info('shutting down: no new calls; ending calls in flight');
      await siprec?.close();
      await audioSocket?.close();
      demoChats?.stop();
      await demo?.stop();
      reports.close();
      await app.close();
      await p.close();
      log.info('shutdown complete');
    })());
  return { pipeline: p, app, url, sip: siprec?.address(), ingest: fronts, close };
}

/** A process of a cluster (`serve --role`): the appliance when it runs core, else a bare ingest and/or speech node. */
export interface ClusterNode {
  roles: NodeRole[];
  log: Logger;
  /** Set when this process runs core (the console, API, store). */
  appliance?: Appliance;
  url?: string;
  sip?: { udp: number; tcp: number };
  close(): Promise<void>;
}

/**
 * `serve --role`. Without cluster.nats.servers only `all` is allowed and it is exactly
 * `startAppliance`. With NATS, the stages a process lacks are reached over the bus: legs go to
 * speech nodes through leases (src/cluster/legs.ts), events to core through a durable stream.
 */
export async function startNode(config: Config, opts: { roles: Set<NodeRole>; demo?: boolean; log?: Logger }): Promise<ClusterNode> {
  const log = opts.log ?? createLogger(config.log.level);
  const roles = opts.roles;
  const list = [...roles];
  if (!config.cluster.nats.servers.length) {
    if (!isAll(roles)) throw new EarshotError('EARSHOT_ERR_CLUSTER_ROLE', `--role ${list.join(',')} needs cluster.nats.servers (docs/cluster.md)`);
    const a = await startAppliance(config, { demo: opts.demo, log });
    return { roles: list, log, appliance: a, url: a.url, sip: a.sip, close: () => a.close() };
  }
  const name = nodeName(config);
  const site = config.site.id;
  const clog = log.child({ node: name });
  const nc = await connectSite(natsOptions(config, name));
  const speechLocal = roles.has('speech');
  const ingestLocal = roles.has('ingest');
  const capacity = speechLocal ? config.cluster.speechLegs || 3 * (config.speech.workers || availableParallelism()) : 0;
  let load = () => 0;
  const members = await joinSite(nc, { site, node: name, roles: list, log: clog, capacity: () => capacity, load: () => load() });
  // Speech elsewhere: the site is full when its speech nodes are (or there are none).
  const atCapacity = speechLocal ? undefined : () => {
    const s = members.speech();
    return s.nodes === 0 || s.load >= config.cluster.capacityRatio * s.capacity;
  };
  let cbus: BusAdapter | undefined;
  let dispatch: LegDispatch | undefined;
  let leases: SpeechLeases | undefined;
  let localSpeech: SpeechStage | undefined;
  const closers: (() => Promise<unknown>)[] = [];

  // The stages of this process on `bus`; what lives elsewhere goes over NATS.
  const wire = async (bus: PipelineBus, metrics: Metrics): Promise<SpeechStage> => {
    cbus = await natsBus(nc, { site, node: name, log: clog, metrics });
    if (speechLocal) {
      localSpeech = await createSpeech({ config, log, bus, metrics });
      const sp = localSpeech;
      if (!ingestLocal) {
        leases = await takeLegs(nc, cbus, bus, { site, node: name, capacity, leaseMs: config.cluster.leaseSeconds * 1000, log: clog, legDone: (id) => sp.legDone(id) });
        const l = leases;
        load = () => l.load();
      }
      return sp;
    }
    if (ingestLocal) dispatch = await dispatchLegs(nc, cbus, bus, { site, log: clog, metrics });
    const d = dispatch;
    return {
      ready: () => {
        const s = members.speech();
        return { ok: s.nodes > 0, engine: config.speech.engine, detail: `${s.nodes} speech node(s), ${s.load}/${s.capacity} legs` };
      },
      pendingSeconds: () => 0,
      legDone: (id) => (d ? d.legsDone([id], DRAIN_STALL_MS) : Promise.resolve()),
      legsDone: (ids, stallMs) => (d ? d.legsDone(ids, stallMs) : Promise.resolve()),
      close: async () => {},
    };
  };
  // Without core here, what this process produces goes to core over the durable stream.
  const forward = (bus: PipelineBus) => {
    const b = cbus!;
    const names: readonly ClusterEvent[] = ingestLocal ? CLUSTER_EVENTS : ['transcript', 'call.event', 'leg.stats'];
    const offs = names.map((e) => bus.on(e, (...args: unknown[]) => {
      let payload = args[0];
      if (e === 'transcript' && leases) {
        const t = payload as Transcript;
        const off = leases.seqOffset(t.legId);
        if (off === undefined) return; // a leg we no longer hold: its new holder speaks for it
        payload = { ...t, seq: t.seq + off };
      }
      (b.publish as (e: ClusterEvent, p: unknown) => void)(e, payload);
    }));
    closers.push(async () => offs.forEach((off) => off()));
  };

  try {
    if (roles.has('core')) {
      const a = await startAppliance(config, {
        demo: opts.demo,
        log,
        ingest: ingestLocal,
        atCapacity,
        speech: ({ bus, metrics }) => wire(bus, metrics),
        routes: async (app, p) => {
          clusterMetrics(p.metrics, members);
          await app.register(clusterRoutes(members, name), { prefix: '/api/v1' });
        },
      });
      if (ingestLocal) load = () => a.pipeline.calls.size;
      // Everything other nodes produce, from the durable consumer: a core restart resumes here.
      const bus = a.pipeline.bus;
      const emit = bus.emit.bind(bus) as (e: ClusterEvent, ...a: unknown[]) => void;
      // Calls of an ingest node that dies would stay live for ever: ended when it leaves the site.
      const loss = ingestLocal ? undefined : watchIngestLoss(members, {
        metrics: a.pipeline.metrics,
        log: clog,
        end: (ev, ended) => {
          emit('call.event', ev);
          emit('call.ended', ended);
        },
      });
      const unsub = await cbus!.subscribe(`core-${site}`, (e, payload, from) => {
        loss?.seen(e, payload, from);
        emit(e, payload);
      });
      if (loss) closers.push(async () => loss.close());
      // Reversed at shutdown: stop consuming first, then close the appliance.
      closers.push(() => a.close());
      closers.push(unsub);
      return { roles: list, log, appliance: a, url: a.url, sip: a.sip, close: once(async () => shutdown()) };
    }
    const bus = new PipelineBus();
    const metrics = createMetrics();
    bus.onListenerError = (event, err) => {
      metrics.badInput('pipeline', event);
      log.error({ err, event }, 'pipeline listener failed');
    };
    const speech = await wire(bus, metrics);
    forward(bus);
    closers.push(() => speech.close());
    let sip: { udp: number; tcp: number } | undefined;
    if (ingestLocal) {
      const calls = new CallRegistry(bus, config.limits.maxCalls, {
        drain: (call) => speech.legsDone([...call.legs.keys()], DRAIN_STALL_MS),
        drainTimeoutMs: DRAIN_CAP_MS,
        onDrainError: (err) => log.error({ err }, 'call drain failed; ending the call with what was recognised'),
        identity: new CallIdentity(loadCallerSalt(config.dataDir, config.privacy.callerSalt), config.kpi.queueMap),
      });
      load = () => calls.size;
      const siprec = config.sip.front === 'off' ? undefined : await createSiprecIngest({ config, log, bus, calls, metrics }, { atCapacity });
      sip = siprec?.address();
      // Last in, first out: ingest stops, then the calls end (their legs drain), then speech.
      closers.push(() => calls.closeAll('interrupted', SHUTDOWN_GRACE_MS));
      if (siprec) closers.push(() => siprec.close());
    }
    clog.info({ roles: list, capacity, sip }, 'earshot cluster node ready');
    return { roles: list, log, sip, close: once(async () => shutdown()) };
  } catch (err) {
    await shutdown().catch(() => {});
    throw err;
  }

  async function shutdown(): Promise<void> {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.error({ err }, 'cluster node: close step failed'));
    await leases?.close();
    await dispatch?.close();
    await cbus?.close();
    await members.close();
    await nc.drain().catch(() => {});
  }
}

function once(f: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= f());
}
