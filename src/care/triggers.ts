import type { Config } from '../config/schema.js';
import { globMatch } from '../alarms/rules.js';
import type { CaseRow, CasesRepo, SurveyRequestRow } from '../store/repos/cases.js';
import type { CareMetrics } from './metrics.js';
import { checkTimeZone, sendTime } from './quiet.js';
import type { CareWebhooks } from './webhooks.js';

const DAY = 86_400_000;

export type TriggerResult =
  | { requested: true; request: SurveyRequestRow }
  | { requested: false; reason: 'no-call' | 'demo' | 'no-customer' | 'not-ended' | 'abuse' | 'no-rule' | 'sampled-out' | 'recently-asked' | 'already' };

/**
 * Post-contact survey requests (config `surveys`): after a finished call, the first trigger rule
 * that matches (categories any-of, resolvedOnly = the customer did not end negative) requests a
 * survey at its sampling rate — never after a call that hit a `neverAfter` category, never twice
 * within minDaysBetween days per customer, never twice for a call. Requests made in quiet hours
 * (site time) wait in the outbox until they end. Sent as `survey.requested` webhooks.
 */
export class SurveyTriggers {
  constructor(
    private readonly repo: CasesRepo,
    private readonly config: Pick<Config, 'surveys'>,
    private readonly webhooks: CareWebhooks,
    private readonly metrics: CareMetrics,
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {
    checkTimeZone(config.surveys.timeZone);
  }

  afterCall(callId: string): TriggerResult {
    const res = this.#decide(callId);
    this.metrics.surveys.inc({ result: res.requested ? 'requested' : res.reason });
    return res;
  }

  #decide(callId: string): TriggerResult {
    const s = this.config.surveys;
    const call = this.repo.callFacts(callId);
    if (!call) return { requested: false, reason: 'no-call' };
    if (call.endedAt === null) return { requested: false, reason: 'not-ended' };
    // The demo loop's callers are made up: no survey goes to the site's survey system for them.
    if (call.demo === 1) return { requested: false, reason: 'demo' };
    if (!call.customerHash) return { requested: false, reason: 'no-customer' };
    let cats: string[] = [];
    try {
      cats = Object.keys((JSON.parse(call.categories ?? '{}') ?? {}) as object);
    } catch {
      cats = [];
    }
    if (s.neverAfter.length && cats.some((c) => globMatch(s.neverAfter, c))) return { requested: false, reason: 'abuse' };
    const resolved = call.negativeEnd !== 1;
    const rule = s.triggers.find((r) => (r.categories.length === 0 || cats.some((c) => globMatch(r.categories, c))) && (!r.resolvedOnly || resolved));
    if (!rule) return { requested: false, reason: 'no-rule' };
    const now = this.now();
    const last = this.repo.lastRequestAt(call.customerHash);
    if (last !== null && now - last < s.minDaysBetween * DAY) return { requested: false, reason: 'recently-asked' };
    if (rule.sampleRate < 1 && this.random() >= rule.sampleRate) return { requested: false, reason: 'sampled-out' };
    const request = this.repo.insertRequest({ callId, customerHash: call.customerHash, rule: rule.id, kind: rule.kind, caseId: null, requestedAt: now, sendAt: sendTime(now, s.timeZone, s.quietFrom, s.quietTo) });
    if (!request) return { requested: false, reason: 'already' };
    this.#send(request, { agentId: call.agentId, queue: call.queue });
    return { requested: true, request };
  }

  /** The follow-up survey of a resolved or closed case (once per case; quiet hours apply, the repeat limit does not). */
  followUp(c: CaseRow): SurveyRequestRow | undefined {
    const s = this.config.surveys;
    const now = this.now();
    const request = this.repo.insertRequest({ callId: null, customerHash: c.customerHash, rule: 'case-follow-up', kind: 'nps', caseId: c.id, requestedAt: now, sendAt: sendTime(now, s.timeZone, s.quietFrom, s.quietTo) });
    if (request) {
      this.metrics.surveys.inc({ result: 'follow-up' });
      this.#send(request, {});
    }
    return request;
  }

  #send(r: SurveyRequestRow, ctx: { agentId?: string | null; queue?: string | null }): void {
    const body = {
      survey: { requestId: r.id, kind: r.kind, rule: r.rule, customerHash: r.customerHash, callId: r.callId, caseId: r.caseId, agentId: ctx.agentId ?? null, queue: ctx.queue ?? null, requestedAt: new Date(r.requestedAt).toISOString() },
      answerTo: '/api/v1/surveys',
    };
    this.webhooks.enqueue('survey.requested', `survey-request:${r.id}`, 'request', body, r.requestedAt, r.sendAt, r.caseId ?? undefined);
  }
}
