import type { Logger } from 'pino';
import type { PipelineBus } from '../call/events.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../store/types.js';
import type { AlarmRule } from '../alarms/index.js';
import { CaseService } from './cases.js';
import { careMetrics } from './metrics.js';
import { SurveyTriggers } from './triggers.js';
import { CareWebhooks } from './webhooks.js';

export { CaseService, type OpenRequest } from './cases.js';
export { SurveyTriggers, type TriggerResult } from './triggers.js';
export { sendTime } from './quiet.js';
export { careRoutes, type CareRouteDeps } from './routes.js';
export { agentCoaching, bestAgentPhrases, phrasesOf, rankAgents, type BestAgentPhrases, type AgentCoaching } from './coaching.js';

export interface CareDeps {
  config: Pick<Config, 'care' | 'surveys' | 'site' | 'webhooks'>;
  log: Logger;
  bus: PipelineBus;
  store: Store;
  metrics: Metrics;
  /** The alarm stage's running rules: a raise of a rule with `case:` opens a case. */
  alarmRules?: () => AlarmRule[];
  clock?: () => number;
  /** Sampling draws (tests inject a sequence). */
  random?: () => number;
  /** Period of escalation and risk checks; 0 = no timer (call tick()). Default care.checkSeconds. */
  checkMs?: number;
}

export interface CareStage {
  cases: CaseService;
  triggers: SurveyTriggers;
  /** Escalates overdue cases and opens cases for the high-risk pool. */
  tick(): { escalated: number; opened: number };
  /** Hook for recorded survey answers (the surveys API calls it): a detractor opens a case. */
  onSurvey(s: { id: number; customerHash: string | null; kind: string; score: number; receivedAt: number }): void;
  close(): void;
}

/**
 * The care loop: cases from detractors, the risk pool, alarm rules and supervisors; SLA
 * escalation; post-contact and follow-up survey requests. Events go out through the webhook
 * outbox the alarm stage delivers.
 */
export function createCare(deps: CareDeps): CareStage {
  const { config, log, bus, store } = deps;
  const now = deps.clock ?? Date.now;
  const m = careMetrics(deps.metrics.registry);
  const webhooks = new CareWebhooks(store.repos.webhookOutbox, config.webhooks, config.site.id, (id) => store.repos.demo.isDemoCase(id));
  const triggers = new SurveyTriggers(store.repos.cases, config, webhooks, m, now, deps.random);
  const cases = new CaseService({ store, config, log, metrics: m, webhooks, triggers, now });
  const safely = <T>(what: string, f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      log.error({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, `care: ${what} failed`);
      return undefined;
    }
  };
  const offs = [
    // Registered after the KPI stage: its call.ended handler has written the call's summary.
    bus.on('call.ended', (e) => void safely('survey trigger', () => triggers.afterCall(e.callId))),
    bus.on('alarm', (a) => {
      const spec = deps.alarmRules?.().find((r) => r.id === a.rule)?.case;
      if (spec) safely('alarm case', () => cases.onAlarm(a, spec));
    }),
  ];
  const stage: CareStage = {
    cases,
    triggers,
    tick: () => ({ escalated: safely('escalation', () => cases.escalate().length) ?? 0, opened: safely('risk cases', () => cases.scanRisk().length) ?? 0 }),
    onSurvey: (s) => void safely('detractor case', () => cases.onSurvey(s)),
    close() {
      clearInterval(timer);
      for (const off of offs) off();
    },
  };
  const period = deps.checkMs ?? config.care.checkSeconds * 1000;
  const timer = period > 0 ? setInterval(() => stage.tick(), period).unref() : undefined;
  return stage;
}
export { backfillDemo, purgeDemo, type BackfillResult } from './demo.js';
