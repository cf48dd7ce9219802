import type { Logger } from 'pino';
import type { PipelineBus } from '../call/events.js';
import type { CallEvent } from '../call/types.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../store/types.js';
import { AgentDaily, negativeSwing } from './agent-daily.js';
import { RECENT_KEEP, RuleEngine, validSpan, type Trigger } from './engine.js';
import { AlarmLifecycle, type AlarmView } from './lifecycle.js';
import { alarmMetrics } from './metrics.js';
import { OUTBOX_DEFAULTS, WebhookOutbox, type OutboxOptions } from './outbox.js';
import { loadAlarmRuleSet, loadAlarmRules } from './rule-files.js';
import type { AlarmRule } from './rules.js';
import type { AlarmService } from './types.js';

export type { AlarmService } from './types.js';
export type { AlarmView } from './lifecycle.js';
export { AlarmError, type RuleProblem } from './errors.js';
export { parseAlarmRules, thresholdOf, type AlarmRule } from './rules.js';
export { ALARM_FILE_ID, alarmRowId, listAlarmRuleFiles, loadAlarmRules, loadAlarmRuleSet, validateAlarmFile, type AlarmRuleFile } from './rule-files.js';
export { alarmDryRun, type AlarmDryRun } from './dry-run.js';
export { backoff, type WebhookPayload } from './outbox.js';

export interface AlarmDeps {
  config: Pick<Config, 'webhooks' | 'site' | 'http'>;
  log: Logger;
  bus: PipelineBus;
  store: Store;
  metrics: Metrics;
  /**
   * Rules already loaded; else read from rulesPath (a file or a folder of *.yaml) with the versions
   * saved from the console (rules table, kind 'alarm') in place of their files.
   */
  rules?: AlarmRule[];
  rulesPath?: string;
  /** Injected clock (epoch ms) for cooldowns, escalation and the outbox; Date.now by default. */
  clock?: () => number;
  /** Period of escalation and live-silence checks; 0 = no timer (call tick()). Default 5 s. */
  tickMs?: number;
  /** Period of the webhook delivery loop; 0 = no timer (call deliverWebhooks()). Default 1 s. */
  deliveryMs?: number;
  outbox?: Partial<OutboxOptions>;
  /** Base of the console links in webhook payloads. */
  consoleUrl?: string;
}

export interface AlarmStage extends AlarmService {
  /** One alarm with its escalation time; throws EARSHOT_ERR_NOT_FOUND. */
  get(id: number): AlarmView;
  rules(): AlarmRule[];
  /**
   * Swaps the rule set live (default: files + stored versions, validated); on error the running set
   * stays (throws EARSHOT_ERR_RULES). Open alarms, cooldowns, per-call progress (streaks, speech
   * heard) and pending escalations are kept: they are keyed by rule id. An open alarm escalates by
   * its rule's current escalateAfterMinutes, or the last one known if the rule was removed or disabled.
   */
  reloadRules(rules?: AlarmRule[]): AlarmRule[];
  /** Escalations and silence on live calls. */
  tick(): AlarmView[];
  /** Sends due webhook rows once; resolves to the number delivered. */
  deliverWebhooks(): Promise<number>;
  /** Undelivered webhook rows (the outbox depth). */
  outboxDepth(): number;
  /** Per-call state held (tests, diagnostics): 0 with no call live; `scopes` also counts today's agent-day cooldowns. */
  size(): { calls: number; agents: number; scopes: number; recent: number };
  close(): Promise<void>;
}

export async function createAlarms(deps: AlarmDeps): Promise<AlarmStage> {
  const { config, log, bus, store, metrics } = deps;
  const now = deps.clock ?? Date.now;
  const rulesPath = deps.rulesPath ?? 'config/alarms';
  let rules: AlarmRule[];
  try {
    rules = deps.rules ?? startRules();
  } catch (err) {
    metrics.badInput('rules', (err as { reason?: string }).reason ?? 'invalid');
    throw err;
  }
  // A stored version that no longer validates (e.g. after an upgrade) must not stop the appliance:
  // it is logged and the files stay in force, as for the analysis packs.
  function startRules(): AlarmRule[] {
    try {
      return loadAlarmRuleSet(rulesPath, store.repos.alarmRules);
    } catch (err) {
      const files = loadAlarmRules(rulesPath);
      metrics.badInput('alarm-rules', 'stored');
      log.error({ errors: (err as { problems?: string[] }).problems }, 'stored alarm rules invalid; using the rule files');
      return files;
    }
  }
  // Rule id -> the rule an open alarm escalates by; removed rules stay so pending escalations are kept.
  const escalation = new Map<string, AlarmRule>();
  const remember = (set: AlarmRule[]) => set.forEach((r) => escalation.set(r.id, r));
  remember(rules);
  const consoleUrl = deps.consoleUrl ?? `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${config.http.port}`;
  let outbox: WebhookOutbox | undefined;
  const m = alarmMetrics(metrics.registry, () => outbox?.depth() ?? 0);
  outbox = new WebhookOutbox(store.repos.webhookOutbox, config.webhooks, m, log, now, consoleUrl, config.site.id, { ...OUTBOX_DEFAULTS, ...deps.outbox });
  const box = outbox;

  let delivering: Promise<number> | undefined;
  let closed = false;
  const deliver = (): Promise<number> => {
    if (!delivering) {
      delivering = box.deliverDue().finally(() => {
        delivering = undefined;
      });
    }
    return delivering;
  };
  const kick = () => {
    if (!closed && deps.deliveryMs !== 0) void deliver().catch((err: Error) => log.error({ err: { message: err.message } }, 'webhook delivery loop failed'));
  };

  const life = new AlarmLifecycle(store, bus, m, box, now, kick, (err) =>
    log.error({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'alarm not stored; held in memory and retried'),
  );
  const agentOf = new Map<string, string | undefined>();
  const onTrigger = (t: Trigger) => {
    try {
      life.raise({ ...t, agentId: agentOf.get(t.callId) });
    } catch (err) {
      log.error({ err: { code: (err as { code?: string }).code, message: (err as Error).message }, rule: t.rule.id }, 'could not raise alarm');
    }
  };
  const engine = new RuleEngine(rules, onTrigger, now);
  const daily = new AgentDaily([]);
  daily.setRules(rules);
  daily.rebuild(store.repos.alarms, now());

  // A call that started before this process did (a cluster's core restarted while ingest kept
  // the call going; the durable stream delivers the rest): picked up from the store, once.
  const looked = new Set<string>();
  const forgetLater: string[] = [];
  // Late hits arrive within seconds of the end; this many calls rarely end in those seconds.
  const LATE_CALLS = RECENT_KEEP;
  const resume = (callId: string) => {
    if (engine.has(callId) || looked.has(callId)) return;
    looked.add(callId);
    if (looked.size > 10_000) looked.delete(looked.values().next().value!);
    const c = store.getCall(callId);
    if (!c || c.state !== 'active') return;
    agentOf.set(callId, c.agentId);
    engine.start(callId, c.ingest !== 'import');
    for (const l of c.legs) engine.leg(callId, l.legId, l.role);
  };
  const offs = [
    bus.on('call.started', (c) => {
      agentOf.set(c.callId, c.agentId);
      engine.start(c.callId, c.ingest !== 'import');
    }),
    bus.on('call.updated', (c) => {
      if (agentOf.has(c.callId)) agentOf.set(c.callId, c.agentId);
    }),
    bus.on('leg.added', (l) => engine.leg(l.callId, l.legId, l.role)),
    bus.on('partial', (p) => engine.activity(p.callId)),
    bus.on('utterance', (u) => (resume(u.callId), engine.utterance(u, performance.now()))),
    bus.on('call.event', (e) => (resume(e.callId), onEvent(e, performance.now()))),
    // Ended here: late events for it never revive it.
    bus.on('call.ended', (e) => (looked.add(e.callId), safely(() => onEnded(e.callId)))),
  ];

  function onEvent(e: CallEvent, at: number): void {
    if (e.kind !== 'speech') return engine.event(e, at);
    const { startMs, endMs } = e.data ?? {};
    if (!e.legId || !validSpan(startMs, endMs)) {
      metrics.badInput('alarms', 'speech-segment');
      return;
    }
    engine.speech(e.callId, e.legId, startMs, endMs as number, at);
  }

  let scopeDay = '';
  function onEnded(callId: string): void {
    const at = performance.now();
    const state = engine.end(callId);
    const agentId = agentOf.get(callId);
    agentOf.delete(callId);
    // Its cooldowns are kept for the last LATE_CALLS ended calls: late category events of the call
    // (engine.ts) raise once. Bounded: per-call state does not grow with the calls a node has seen.
    forgetLater.push(callId);
    if (forgetLater.length > LATE_CALLS) life.forget(forgetLater.shift()!);
    const day = new Date(now()).toISOString().slice(0, 10);
    if (day !== scopeDay) {
      // Agent-day cooldowns of days gone by are never read again: drop them, or they pile up for ever.
      life.forgetWhere((s) => s.startsWith('agent:') && !s.endsWith(`:${day}`));
      scopeDay = day;
    }
    if (!state || !agentId) return;
    for (const t of daily.add({ agentId, categories: [...state.categories.keys()], negativeSwing: negativeSwing(state.customerSentiments) }, now())) {
      // Once per agent per day, also across restarts.
      if (store.repos.alarms.raisedSince(t.rule.id, agentId, Math.floor(now() / 86_400_000) * 86_400_000)) continue;
      life.raise({ rule: { ...t.rule, cooldownSeconds: 86_400 }, callId, agentId, message: t.message, receivedAt: at, scope: `agent:${agentId}:${day}` });
    }
  }

  const timers: NodeJS.Timeout[] = [];
  const tickMs = deps.tickMs ?? 5000;
  const deliveryMs = deps.deliveryMs ?? 1000;
  const stage: AlarmStage = {
    ack: (id, user, comment) => life.ack(id, user, comment),
    resolve: (id, user, comment) => life.resolve(id, user, comment),
    get: (id) => life.get(id),
    rules: () => rules,
    reloadRules(next) {
      try {
        rules = next ?? loadAlarmRuleSet(rulesPath, store.repos.alarmRules);
      } catch (err) {
        metrics.badInput('rules', (err as { reason?: string }).reason ?? 'invalid');
        throw err;
      }
      engine.setRules(rules);
      daily.setRules(rules);
      // Recount today's finished calls so a new or changed agent-daily rule sees the whole day.
      daily.rebuild(store.repos.alarms, now());
      remember(rules);
      log.info({ rules: rules.length }, 'alarm rules reloaded');
      return rules;
    },
    tick() {
      life.retryPending();
      engine.tick(performance.now());
      return life.escalate([...escalation.values()]);
    },
    deliverWebhooks: deliver,
    outboxDepth: () => box.depth(),
    size: () => ({ calls: engine.calls.size, agents: agentOf.size, scopes: life.scopes, recent: engine.recent }),
    async close() {
      closed = true;
      safely(() => life.retryPending()); // last chance for alarms held by a store failure
      for (const t of timers) clearInterval(t);
      for (const off of offs) off();
      await delivering?.catch(() => 0);
    },
  };
  if (tickMs > 0) timers.push(setInterval(() => safely(() => stage.tick()), tickMs).unref());
  if (deliveryMs > 0) timers.push(setInterval(kick, deliveryMs).unref());

  function safely(f: () => unknown): void {
    try {
      f();
    } catch (err) {
      log.error({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'alarm stage failed');
    }
  }
  return stage;
}
