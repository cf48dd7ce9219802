import { createHash, createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { AlarmRow } from '../store/types.js';
import { OUTBOX_GAVE_UP as GAVE_UP, type WebhookOutboxRepo, type WebhookOutboxRow as Row } from '../store/repos/webhook-outbox.js';
import type { AlarmMetrics } from './metrics.js';
import { globMatch, SEVERITY_RANK } from './rules.js';

export type WebhookEvent = 'alarm.raised' | 'alarm.escalated';

/** What a webhook receiver gets: no transcript text, no message, no party data. */
export interface WebhookPayload {
  event: WebhookEvent;
  alarm: { id: number; rule: string; severity: string; raisedAt: string; callId: string | null };
  link: string;
  site: string;
}

export interface OutboxOptions {
  /** First retry delay; doubles per attempt up to maxDelayMs, with jitter. */
  retryBaseMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  /** Rows that failed this many times stop being tried (kept, with last_error, for the operator). */
  maxAttempts: number;
  batch: number;
}

export const OUTBOX_DEFAULTS: OutboxOptions = { retryBaseMs: 2000, maxDelayMs: 15 * 60_000, timeoutMs: 5000, maxAttempts: 25, batch: 20 };

/**
 * Webhooks through the durable `outbox` table: enqueueing is one INSERT with a unique
 * idempotency key (so an alarm is enqueued once per destination, however often asked), and
 * delivery marks `delivered_at` only after a 2xx. Undelivered rows survive a restart and are
 * sent by the next process; delivered rows never are. Receivers dedupe on the key header.
 */
export class WebhookOutbox {
  constructor(
    private readonly repo: WebhookOutboxRepo,
    private readonly hooks: Config['webhooks'],
    private readonly m: AlarmMetrics,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly consoleUrl: string,
    private readonly siteId: string,
    private readonly opts: OutboxOptions = OUTBOX_DEFAULTS,
  ) {}

  depth(): number {
    return this.repo.depth();
  }

  /** Enqueues the alarm for every webhook whose minSeverity it meets; returns rows added. */
  enqueue(a: AlarmRow, event: WebhookEvent): number {
    const now = this.now();
    const payload: WebhookPayload = {
      event,
      alarm: { id: a.id, rule: a.rule, severity: a.severity, raisedAt: new Date(a.raisedAt).toISOString(), callId: a.callId ?? null },
      link: `${this.consoleUrl.replace(/\/$/, '')}/alarms/${a.id}`,
      site: this.siteId,
    };
    let n = 0;
    for (const h of this.hooks) {
      if (SEVERITY_RANK[a.severity] < SEVERITY_RANK[h.minSeverity] || !globMatch(h.events ?? ['alarm.*'], event)) continue;
      // The key names the alarm, the event and the destination (hashed: URLs may hold tokens).
      const key = `earshot:${this.siteId}:alarm:${a.id}:${event}:${createHash('sha256').update(h.url).digest('hex').slice(0, 16)}`;
      n += this.repo.insert(h.url, key, JSON.stringify(payload), now);
    }
    return n;
  }

  /**
   * Sends every due row once; returns how many were delivered. Destinations are served in
   * parallel (a slow receiver does not hold up the others), each one's rows in order.
   */
  async deliverDue(): Promise<number> {
    const rows = this.repo.due(this.now(), this.opts.batch);
    const byDest = new Map<string, Row[]>();
    for (const r of rows) byDest.set(r.destination, [...(byDest.get(r.destination) ?? []), r]);
    const counts = await Promise.all(
      [...byDest.values()].map(async (list) => {
        let ok = 0;
        for (const row of list) if (await this.#send(row)) ok++;
        return ok;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async #send(row: Row): Promise<boolean> {
    const hook = this.hooks.find((h) => h.url === row.destination);
    if (!hook) {
      // Removed from the config: keep the row for the record but stop trying.
      this.#fail(row, 'destination no longer configured', 'unconfigured', true);
      return false;
    }
    const signature = createHmac('sha256', hook.secret).update(row.payload).digest('hex');
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-earshot-signature': `sha256=${signature}`,
          'x-earshot-idempotency-key': row.idem_key,
          'user-agent': 'earshot-webhook/1',
        },
        body: row.payload,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined); // drain so the socket is reused
      if (res.status >= 200 && res.status < 300) {
        this.repo.delivered(row.id, this.now());
        this.m.deliveries.inc({ result: 'ok' });
        return true;
      }
      this.#fail(row, `HTTP ${res.status}`, res.status >= 500 ? 'http_5xx' : res.status >= 400 ? 'http_4xx' : 'http_other');
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const reason = e.name === 'TimeoutError' ? 'timeout' : 'network';
      this.#fail(row, `${reason}: ${e.cause?.code ?? e.message}`.slice(0, 200), reason);
    }
    return false;
  }

  #fail(row: Row, error: string, reason: string, final = false): void {
    const attempts = row.attempts + 1;
    const giveUp = final || attempts >= this.opts.maxAttempts;
    const next = giveUp ? GAVE_UP : this.now() + backoff(attempts, this.opts);
    this.repo.failed(row.id, attempts, next, error);
    this.m.deliveries.inc({ result: 'failed' });
    this.m.deliveryFailures.inc({ reason });
    // The destination is operator config, not call data; log its host only.
    this.log.warn({ outboxId: row.id, attempts, host: safeHost(row.destination), error, giveUp }, 'webhook delivery failed');
  }
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random, so retries spread out. */
export function backoff(attempts: number, o: Pick<OutboxOptions, 'retryBaseMs' | 'maxDelayMs'>, rnd = Math.random): number {
  const d = Math.min(o.maxDelayMs, o.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(d / 2 + rnd() * (d / 2));
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}
