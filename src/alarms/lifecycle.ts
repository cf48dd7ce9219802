import type { PipelineBus } from '../call/events.js';
import type { AlarmState } from '../call/types.js';
import type { AlarmRow, Store } from '../store/types.js';
import { AlarmError } from './errors.js';
import type { AlarmMetrics } from './metrics.js';
import type { WebhookOutbox } from './outbox.js';
import type { AlarmRule } from './rules.js';

/** An alarm as the console sees it: the stored row (which carries escalatedAt). */
export type AlarmView = AlarmRow;

export interface RaiseRequest {
  rule: AlarmRule;
  callId: string;
  agentId?: string;
  message: string;
  evidence?: number[];
  receivedAt: number;
  /** Cooldown scope: defaults to the call. */
  scope?: string;
}

const MAX_COMMENT = 1000;
const MAX_USER = 100;
/** Alarms held in memory while the store refuses writes (about a day of a busy site's alarms). */
const MAX_PENDING = 5000;

/**
 * Raising (with per-scope cooldown), acknowledging, resolving and escalating alarms. Every
 * transition is audit-logged and pushed on the bus as `alarm.updated`; raises go out as `alarm`
 * and to the webhook outbox.
 */
export class AlarmLifecycle {
  /** scope -> rule id -> last raise (clock ms). */
  readonly #fired = new Map<string, Map<string, number>>();
  /** Raises whose write failed, in order, retried until the store takes them. */
  readonly #pending: Array<{ req: RaiseRequest; at: number }> = [];

  constructor(
    private readonly store: Store,
    private readonly bus: PipelineBus,
    private readonly m: AlarmMetrics,
    private readonly outbox: WebhookOutbox,
    private readonly now: () => number,
    private readonly onRaised: () => void,
    private readonly onStoreError: (err: unknown) => void = () => {},
  ) {}

  raise(req: RaiseRequest): AlarmView | undefined {
    const scope = req.scope ?? req.callId;
    const now = this.now();
    const seen = this.#fired.get(scope) ?? new Map<string, number>();
    const last = seen.get(req.rule.id);
    if (last !== undefined && now - last < req.rule.cooldownSeconds * 1000) {
      this.m.suppressed.inc({ rule: req.rule.id });
      return undefined;
    }
    seen.set(req.rule.id, now);
    this.#fired.set(scope, seen);
    this.retryPending(); // older alarms first
    if (this.#pending.length) return this.#hold(req, now);
    try {
      return this.#commit(req, now);
    } catch (err) {
      return this.#hold(req, now, err);
    }
  }

  /**
   * Stores and sends alarms whose write failed (disk full, database busy), oldest first, keeping
   * their raise time. Called on every tick and before each new raise; stops at the first failure.
   */
  retryPending(): number {
    let n = 0;
    while (this.#pending.length) {
      const { req, at } = this.#pending[0];
      try {
        this.#commit(req, at);
      } catch {
        break;
      }
      this.#pending.shift();
      n++;
    }
    this.m.pending.set(this.#pending.length);
    return n;
  }

  /** The alarm row is the alarm: an id is what supervisors acknowledge and webhooks key on. */
  #commit(req: RaiseRequest, at: number): AlarmView {
    const row = this.store.insertAlarm({
      callId: req.callId,
      agentId: req.agentId,
      rule: req.rule.id,
      severity: req.rule.severity,
      state: 'open',
      message: req.message,
      raisedAt: at,
      evidence: req.evidence,
    });
    this.m.fired.inc({ rule: req.rule.id, severity: req.rule.severity });
    this.m.latency.observe({ rule: req.rule.id }, (performance.now() - req.receivedAt) / 1000);
    this.bus.emit('alarm', row);
    if (this.outbox.enqueue(row, 'alarm.raised') > 0) this.onRaised();
    return row;
  }

  /** Keeps a raise that could not be stored (bounded: the oldest goes first, counted). */
  #hold(req: RaiseRequest, at: number, err?: unknown): undefined {
    if (err !== undefined && this.#pending.length === 0) {
      this.onStoreError(err);
    }
    this.#pending.push({ req, at });
    if (this.#pending.length > MAX_PENDING) {
      this.#pending.shift();
      this.m.dropped.inc();
    }
    this.m.pending.set(this.#pending.length);
    return undefined;
  }

  /** Forget cooldowns of a finished call. */
  forget(scope: string): void {
    this.#fired.delete(scope);
  }

  /** Drops the cooldowns of every scope `drop` picks (agent-day scopes of days gone by). */
  forgetWhere(drop: (scope: string) => boolean): void {
    for (const scope of this.#fired.keys()) if (drop(scope)) this.#fired.delete(scope);
  }

  /** Scopes with a cooldown held (calls, agent-days). */
  get scopes(): number {
    return this.#fired.size;
  }

  get(id: number): AlarmView {
    const a = this.store.getAlarm(id);
    if (!a) throw new AlarmError('EARSHOT_ERR_NOT_FOUND', [`alarm ${id} does not exist`], 'alarm-id');
    return a;
  }

  ack(id: number, user: string, comment?: string): AlarmView {
    return this.#transition(id, 'acked', user, comment, ['open']);
  }

  resolve(id: number, user: string, comment?: string): AlarmView {
    return this.#transition(id, 'resolved', user, comment, ['open', 'acked']);
  }

  #transition(id: number, to: AlarmState, user: string, comment: string | undefined, from: AlarmState[]): AlarmView {
    if (!Number.isSafeInteger(id) || id <= 0) throw new AlarmError('EARSHOT_ERR_BAD_INPUT', [`alarm id must be a positive integer`], 'alarm-id');
    if (typeof user !== 'string' || user.length === 0 || user.length > MAX_USER) throw new AlarmError('EARSHOT_ERR_BAD_INPUT', [`user must be 1-${MAX_USER} characters`], 'alarm-user');
    if (comment !== undefined && (typeof comment !== 'string' || comment.length > MAX_COMMENT)) throw new AlarmError('EARSHOT_ERR_BAD_INPUT', [`comment must be at most ${MAX_COMMENT} characters`], 'alarm-comment');
    const cur = this.get(id);
    if (!from.includes(cur.state)) throw new AlarmError('EARSHOT_ERR_ALARM_TRANSITION', [`alarm ${id} is ${cur.state}; cannot move it to ${to}`], 'alarm-state');
    this.store.transitionAlarm(id, to, user, comment);
    this.store.audit(user, to === 'acked' ? 'alarm.ack' : 'alarm.resolve', `alarm:${id}`, comment);
    const row = this.get(id);
    this.bus.emit('alarm.updated', row);
    return row;
  }

  /** Escalates open alarms older than their rule's escalateAfterMinutes; returns them. */
  escalate(rules: AlarmRule[]): AlarmView[] {
    const after = new Map(rules.filter((r) => r.escalateAfterMinutes > 0).map((r) => [r.id, r.escalateAfterMinutes * 60_000]));
    if (after.size === 0) return [];
    const now = this.now();
    const minAge = Math.min(...after.values());
    const out: AlarmView[] = [];
    for (const a of this.store.repos.alarms.unescalated([...after.keys()], now - minAge)) {
      const limit = after.get(a.rule);
      if (limit === undefined || now - a.raisedAt < limit) continue;
      if (!this.store.escalateAlarm(a.id, now)) continue; // another process escalated it
      this.store.audit('system', 'alarm.escalate', `alarm:${a.id}`, `not acknowledged within ${limit / 60_000} min`);
      const row = { ...a, escalatedAt: now };
      this.m.escalated.inc({ rule: a.rule });
      this.bus.emit('alarm.updated', row);
      if (this.outbox.enqueue(row, 'alarm.escalated') > 0) this.onRaised();
      out.push(row);
    }
    return out;
  }
}
