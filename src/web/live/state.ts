import type { Alarm, CallInfo, Channel, EmotionLabel, Role, Severity } from '../../call/types.js';

/** What the wallboard shows of one active call; no participant names or numbers. */
export interface LiveCall {
  callId: string;
  ingest: string;
  /** voice, or the typed channel (a chat must not look like a call on the wallboard). */
  channel: Channel;
  startedAt: number;
  agentId?: string;
  queue?: string;
  legs: { legId: string; role: Role }[];
  emotion: Partial<Record<Role, { emotion: EmotionLabel; sentiment: number }>>;
  categories: string[];
  openAlarms: number;
  maxSeverity?: Severity;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
const MAX_CATEGORIES = 32;

/** Keeps the small per-call picture a newly connected console needs, updated from the bus. */
export class LiveCalls {
  readonly #calls = new Map<string, LiveCall>();
  readonly #open = new Map<string, Map<string, Severity>>();

  started(c: CallInfo): void {
    const prev = this.#calls.get(c.callId);
    this.#calls.set(c.callId, {
      callId: c.callId,
      ingest: c.ingest,
      channel: c.channel ?? 'voice',
      startedAt: c.startedAt,
      agentId: c.agentId,
      queue: c.queue,
      legs: prev?.legs ?? [],
      emotion: prev?.emotion ?? {},
      categories: prev?.categories ?? [],
      openAlarms: prev?.openAlarms ?? 0,
      maxSeverity: prev?.maxSeverity,
    });
  }

  updated(c: CallInfo): void {
    const call = this.#calls.get(c.callId);
    if (call) Object.assign(call, { agentId: c.agentId, queue: c.queue });
  }

  leg(callId: string, legId: string, role: Role): void {
    const call = this.#calls.get(callId);
    if (call && !call.legs.some((l) => l.legId === legId)) call.legs.push({ legId, role });
  }

  utterance(callId: string, role: Role, emotion: EmotionLabel, sentiment: number, categories: string[]): void {
    const call = this.#calls.get(callId);
    if (!call) return;
    call.emotion[role] = { emotion, sentiment };
    for (const c of categories) if (!call.categories.includes(c) && call.categories.length < MAX_CATEGORIES) call.categories.push(c);
  }

  /** A raised alarm, or an update of one (ack/resolve closes it on the wallboard). */
  alarm(a: Alarm): void {
    const call = this.#calls.get(a.callId);
    if (!call) return;
    const open = this.#open.get(a.callId) ?? new Map<string, Severity>();
    const key = a.id !== undefined ? String(a.id) : `${a.rule}@${a.raisedAt}`;
    if (a.state === 'open') open.set(key, a.severity);
    else open.delete(key);
    this.#open.set(a.callId, open);
    call.openAlarms = open.size;
    call.maxSeverity = undefined;
    for (const sev of open.values()) {
      if (!call.maxSeverity || SEVERITY_RANK[sev] > SEVERITY_RANK[call.maxSeverity]) call.maxSeverity = sev;
    }
  }

  ended(callId: string): void {
    this.#calls.delete(callId);
    this.#open.delete(callId);
  }

  has(callId: string): boolean {
    return this.#calls.has(callId);
  }

  snapshot(): LiveCall[] {
    return [...this.#calls.values()].map((c) => structuredClone(c));
  }
}
