import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { WebhookOutboxRepo } from '../store/repos/webhook-outbox.js';
import { globMatch } from '../alarms/rules.js';

export type CareEvent = 'case.opened' | 'case.updated' | 'case.escalated' | 'survey.requested';

/**
 * Care events through the alarm stage's durable outbox (same table, same signed delivery loop,
 * same retries): a row per destination subscribed to the event (`webhooks[].events`). The key
 * names the subject and the event, so asking twice enqueues once. Payloads carry ids, hashes,
 * labels and times only.
 */
export class CareWebhooks {
  constructor(
    private readonly repo: WebhookOutboxRepo,
    private readonly hooks: Config['webhooks'],
    private readonly siteId: string,
    /** Events about these cases are not sent (the demo's back-filled cases). */
    private readonly quiet: (caseId: number) => boolean = () => false,
  ) {}

  /** Rows added; `sendAt` delays delivery (quiet hours). `key` distinguishes repeats of one event (e.g. a state). */
  enqueue(event: CareEvent, subject: string, key: string, body: Record<string, unknown>, at: number, sendAt = at, caseId?: number): number {
    if (caseId !== undefined && this.quiet(caseId)) return 0;
    let n = 0;
    for (const h of this.hooks) {
      if (!globMatch(h.events ?? ['alarm.*'], event)) continue;
      const idem = `earshot:${this.siteId}:${subject}:${event}:${key}:${createHash('sha256').update(h.url).digest('hex').slice(0, 16)}`;
      n += this.repo.insert(h.url, idem, JSON.stringify({ event, ...body, site: this.siteId }), at, sendAt);
    }
    return n;
  }
}
