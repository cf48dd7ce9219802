import { randomUUID } from 'node:crypto';
import type { PipelineBus } from './events.js';
import type { CallIdentity } from './identity.js';
import type { CallInfo, CallState, Channel, EndReason, IngestKind, LegInfo, Participant, Role } from './types.js';
import { EarshotError } from '../errors.js';

export interface ActiveCall {
  info: CallInfo;
  legs: Map<string, LegInfo>;
}

export interface NewCall {
  ingest: IngestKind;
  externalId: string;
  agentId?: string;
  queue?: string;
  customerHash?: string;
  /** The caller's number or URI as the source gave it: hashed here at once and never kept. */
  callerId?: string;
  startedAt?: number;
  /** The authenticated source (fork key name, SIPREC peer address). */
  source?: string;
  /** Conversations: any customer identifier (phone, chat user id, e-mail address), hashed here at once. */
  customerId?: string;
  channel?: Channel;
}

export interface NewLeg {
  role: Role;
  label: string;
  participant?: Participant;
  codec?: string;
}

export class CallLimitError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_CALL_LIMIT';
  constructor(readonly limit: number) {
    super('EARSHOT_ERR_CALL_LIMIT', undefined, { message: `call limit of ${limit} active calls reached` });
    this.name = 'CallLimitError';
  }
}

/**
 * The live set of calls. Every ingest (SIPREC, forks, import) opens calls here, so the rest
 * of the pipeline sees one model whatever the source.
 */
export interface RegistryOptions {
  /**
   * Runs between a call's legs ending and `call.ended`: main.ts waits here for the recogniser to
   * finish each leg, so the last utterances (the ones after a BYE) reach analysis, KPIs and
   * alarms before they close the call. Bounded by `drainTimeoutMs`.
   */
  drain?: (call: ActiveCall) => Promise<void>;
  drainTimeoutMs?: number;
  onDrainError?: (err: unknown) => void;
  /** Hashes caller ids and names agents and queues from what the legs tell (see identity.ts). */
  identity?: CallIdentity;
}

export class CallRegistry {
  readonly #calls = new Map<string, ActiveCall>();
  readonly #byExternal = new Map<string, string>();
  readonly #draining = new Set<Promise<void>>();
  /** Ends a running drain's wait at once (shutdown). */
  readonly #cuts = new Set<() => void>();
  #drainLimitMs: number | undefined;

  constructor(
    private readonly bus: PipelineBus,
    private readonly maxCalls: number,
    private readonly opts: RegistryOptions = {},
  ) {}

  get size(): number {
    return this.#calls.size;
  }

  /** Throws CallLimitError above the configured limit (SIP answers 503, forks close). */
  open(req: NewCall): ActiveCall {
    if (this.#calls.size >= this.maxCalls) throw new CallLimitError(this.maxCalls);
    const info: CallInfo = {
      callId: randomUUID(),
      ingest: req.ingest,
      externalId: req.externalId,
      startedAt: req.startedAt ?? Date.now(),
      agentId: req.agentId,
      queue: req.queue ?? this.opts.identity?.queueFor(req.agentId),
      customerHash: req.customerHash ?? this.opts.identity?.customerHash(req.callerId) ?? this.opts.identity?.customerIdHash(req.customerId),
      ...(req.source ? { source: req.source } : {}),
      ...(req.channel ? { channel: req.channel } : {}),
    };
    const call: ActiveCall = { info, legs: new Map() };
    this.#calls.set(info.callId, call);
    this.#byExternal.set(`${req.ingest}:${req.externalId}`, info.callId);
    this.bus.emit('call.started', info);
    return call;
  }

  addLeg(callId: string, req: NewLeg): LegInfo {
    const call = this.#mustGet(callId);
    const leg: LegInfo = { legId: randomUUID(), callId, ...req };
    call.legs.set(leg.legId, leg);
    this.bus.emit('leg.added', leg);
    const learnt = this.opts.identity?.fromLeg(call.info, leg);
    if (learnt && Object.keys(learnt).length) this.update(callId, learnt);
    return leg;
  }

  update(callId: string, patch: Partial<Pick<CallInfo, 'agentId' | 'queue' | 'customerHash'>>): void {
    const call = this.#mustGet(callId);
    Object.assign(call.info, patch);
    this.bus.emit('call.updated', call.info);
  }

  get(callId: string): ActiveCall | undefined {
    return this.#calls.get(callId);
  }

  byExternal(ingest: IngestKind, externalId: string): ActiveCall | undefined {
    const id = this.#byExternal.get(`${ingest}:${externalId}`);
    return id ? this.#calls.get(id) : undefined;
  }

  list(): ActiveCall[] {
    return [...this.#calls.values()];
  }

  /**
   * Idempotent: closing an unknown or already-closed call does nothing. The call leaves the live
   * set at once (its slot is free for a new call); `call.ended` follows once the drain is done.
   */
  close(callId: string, state: CallState = 'ended', endedAt = Date.now(), reason?: EndReason): void {
    const call = this.#calls.get(callId);
    if (!call) return;
    this.#calls.delete(callId);
    this.#byExternal.delete(`${call.info.ingest}:${call.info.externalId}`);
    for (const leg of call.legs.values()) this.bus.emit('leg.ended', leg);
    const ended = () => this.bus.emit('call.ended', { callId, state, endedAt, ...(reason ? { reason } : {}) });
    if (!this.opts.drain) return ended();
    const limit = this.#drainLimitMs ?? this.opts.drainTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    let cut!: () => void;
    const timeout = new Promise<void>((resolve) => {
      cut = resolve;
      timer = setTimeout(() => {
        // During a shutdown the cut is reported once, by closeAll.
        if (this.#drainLimitMs === undefined) this.opts.onDrainError?.(new Error(`drain of call took over ${limit} ms`));
        resolve();
      }, limit);
    });
    this.#cuts.add(cut);
    const done: Promise<void> = Promise.race([this.opts.drain(call), timeout])
      .catch((err: unknown) => this.opts.onDrainError?.(err))
      .finally(() => {
        clearTimeout(timer);
        this.#cuts.delete(cut);
        this.#draining.delete(done);
        ended();
      });
    this.#draining.add(done);
  }

  /** Resolves when every closed call has emitted `call.ended` (graceful shutdown, tests). */
  async idle(): Promise<void> {
    while (this.#draining.size) await Promise.all([...this.#draining]);
  }

  /**
   * Shutdown: closes every live call as `state` and gives every drain — those already running
   * too — at most `graceMs` more, so each `call.ended` follows within that bound whatever the
   * recogniser still has queued (a normal call end may wait up to `drainTimeoutMs` for it; a
   * stopping appliance must not). Calls closed after this wait at most twice the grace. Resolves
   * when every call has ended.
   */
  async closeAll(state: CallState, graceMs: number): Promise<void> {
    // Cut by the timer below; calls closed later (an ingest still winding down) get a backstop.
    this.#drainLimitMs = Math.min(2 * graceMs, this.#drainLimitMs ?? 2 * graceMs);
    for (const c of this.list()) this.close(c.info.callId, state, Date.now(), 'shutdown');
    const timer = setTimeout(() => {
      if (this.#cuts.size) this.opts.onDrainError?.(new Error(`shutdown: ${this.#cuts.size} call(s) ended after a ${graceMs} ms grace with audio not yet recognised`));
      for (const cut of [...this.#cuts]) cut();
    }, graceMs);
    try {
      await this.idle();
    } finally {
      clearTimeout(timer);
    }
  }

  #mustGet(callId: string): ActiveCall {
    const call = this.#calls.get(callId);
    if (!call) throw new Error(`unknown call ${callId}`);
    return call;
  }
}
