// Conversations that are not audio: each message becomes a final `transcript` on its party's leg, so
// it takes exactly the path a recognised utterance takes (redaction before anything is stored,
// sentiment, emotion, categories, alarms, KPIs, the console's websocket). Only the message index
// (key, party, times) is written here; the text is stored by the store as a redacted utterance.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { PipelineBus } from '../../call/events.js';
import type { CallRegistry } from '../../call/registry.js';
import type { Channel, LegInfo } from '../../call/types.js';
import type { ConversationsRepo, Party } from '../../store/repos/index.js';
import type { ConversationMetrics } from './metrics.js';
import type { InEnd, InMessage, Rejection } from './parse.js';

export interface EngineDeps {
  log: Logger;
  bus: PipelineBus;
  calls: CallRegistry;
  repo: ConversationsRepo;
  /** Writes queued store rows now: the message index references the call row. */
  flush: () => void;
  metrics: ConversationMetrics;
  idleMinutes: number;
  /** Injected in tests; Date.now otherwise. */
  now?: () => number;
  /** How often idle conversations are looked for; 0 = never by timer (tests call sweep()). */
  sweepMs?: number;
}

interface Live {
  callId: string;
  channel: Channel;
  startedAt: number;
  legs: Map<Party, LegInfo>;
  seqs: Record<Party, number>;
  /** Latest message time (source clock) and when we last heard of the conversation (our clock). */
  lastAt: number;
  touched: number;
}

export type Outcome = 'accepted' | 'duplicate' | Rejection;

/** Idempotency key: the source's message id, else a hash of what the message is. */
export function messageKey(m: InMessage): string {
  if (m.id !== undefined) return `id:${m.id}`;
  return `h:${createHash('sha256').update(JSON.stringify([m.conversation, m.at, m.role, m.text])).digest('hex').slice(0, 40)}`;
}

export class ConversationEngine {
  readonly #live = new Map<string, Live>();
  readonly #now: () => number;
  readonly #timer?: NodeJS.Timeout;
  readonly #idleMs: number;

  constructor(private readonly d: EngineDeps) {
    this.#now = d.now ?? Date.now;
    this.#idleMs = d.idleMinutes * 60_000;
    const every = d.sweepMs ?? Math.min(60_000, this.#idleMs / 4);
    if (every > 0) {
      this.#timer = setInterval(() => this.sweep(), every);
      this.#timer.unref();
    }
  }

  /** The live call of a conversation id, if open. */
  callId(conversation: string): string | undefined {
    return this.#live.get(conversation)?.callId;
  }

  /** One checked message through the pipeline. Throws CallLimitError when no call slot is free. */
  accept(m: InMessage, source?: string): Outcome {
    const key = messageKey(m);
    let live = this.#live.get(m.conversation);
    if (!live) {
      const stored = this.d.repo.find(m.conversation);
      if (stored) {
        // Not live here but stored: ended (or cut by a restart). A message it already has is a
        // re-import; anything new cannot be added to a closed conversation.
        if (this.d.repo.hasMessage(stored.id, key)) return this.#dup(stored.channel);
        return this.#reject({ reason: 'ended', detail: 'the conversation has ended' });
      }
      live = this.#openLive(m, source);
    } else if (this.d.repo.hasMessage(live.callId, key)) {
      return this.#dup(live.channel);
    }
    const call = this.d.calls.get(live.callId);
    if (call && ((m.agent && !call.info.agentId) || (m.queue && !call.info.queue))) {
      this.d.calls.update(live.callId, { ...(m.agent && !call.info.agentId ? { agentId: m.agent } : {}), ...(m.queue && !call.info.queue ? { queue: m.queue } : {}) });
    }
    const leg = this.#leg(live, m.role);
    const seq = ++live.seqs[m.role];
    if (!this.d.repo.addMessage(live.callId, { msgKey: key, party: m.role, at: m.at, endAt: m.endAt, seq })) {
      live.seqs[m.role]--;
      return this.#dup(live.channel);
    }
    const startMs = Math.max(0, m.at - live.startedAt);
    const endMs = m.endAt !== undefined ? Math.max(startMs, m.endAt - live.startedAt) : startMs;
    // The raw text goes to analysis only: it redacts before the store, the console or a log sees it.
    this.d.bus.emit('transcript', { callId: live.callId, legId: leg.legId, role: leg.role, seq, text: m.text, startMs, endMs, final: true });
    live.lastAt = Math.max(live.lastAt, m.endAt ?? m.at);
    live.touched = this.#now();
    this.d.metrics.message(live.channel, m.role);
    return 'accepted';
  }

  /**
   * A re-run of an unfinished import: a conversation of it that a restart cut (stored, not live
   * here, state interrupted) cannot take its remaining messages, so it is discarded and the re-run
   * imports it whole. True when one was discarded.
   */
  redoCut(conversation: string): boolean {
    if (this.#live.has(conversation)) return false;
    const stored = this.d.repo.find(conversation);
    if (stored?.state !== 'interrupted') return false;
    this.d.flush();
    return this.d.repo.discardCut(stored.id);
  }

  /** The closing line: ends the conversation (idempotent: an ended or unknown one is left as is). */
  end(e: InEnd): 'ended' | 'duplicate' {
    const live = this.#live.get(e.conversation);
    if (!live) return 'duplicate';
    this.#close(live, e.conversation, Math.max(live.lastAt, e.at ?? live.lastAt), 'end');
    return 'ended';
  }

  /** Ends conversations without a message for conversations.idleMinutes (by our clock and theirs). */
  sweep(): number {
    const now = this.#now();
    let n = 0;
    for (const [conversation, live] of [...this.#live]) {
      if (now - Math.max(live.touched, live.lastAt) >= this.#idleMs) {
        this.#close(live, conversation, live.lastAt, 'idle');
        n++;
      }
    }
    return n;
  }

  /** After an import: its conversations whose last message is already idleMinutes old end now. */
  endStale(conversations: Iterable<string>): number {
    const now = this.#now();
    let n = 0;
    for (const c of conversations) {
      const live = this.#live.get(c);
      if (live && now - live.lastAt >= this.#idleMs) {
        this.#close(live, c, live.lastAt, 'import-idle');
        n++;
      }
    }
    return n;
  }

  close(): void {
    clearInterval(this.#timer);
    // Conversations still open are ended by the registry's shutdown (interrupted), like calls.
    this.#live.clear();
  }

  #openLive(m: InMessage, source?: string): Live {
    const call = this.d.calls.open({
      ingest: 'conversation',
      externalId: m.conversation,
      startedAt: m.at,
      channel: m.channel,
      ...(m.agent ? { agentId: m.agent } : {}),
      ...(m.queue ? { queue: m.queue } : {}),
      ...(m.customer ? { customerId: m.customer } : {}),
      ...(source ? { source } : {}),
    });
    // The message index references the call row, which the store's writer still has queued.
    this.d.flush();
    const live: Live = { callId: call.info.callId, channel: m.channel, startedAt: m.at, legs: new Map(), seqs: { customer: 0, agent: 0, bot: 0 }, lastAt: m.at, touched: this.#now() };
    this.#live.set(m.conversation, live);
    return live;
  }

  #leg(live: Live, party: Party): LegInfo {
    let leg = live.legs.get(party);
    if (!leg) {
      // A bot speaks for the centre: its leg is on the agent side, told apart by its label.
      leg = this.d.calls.addLeg(live.callId, { role: party === 'customer' ? 'customer' : 'agent', label: party });
      live.legs.set(party, leg);
    }
    return leg;
  }

  #close(live: Live, conversation: string, endedAt: number, how: 'end' | 'idle' | 'import-idle'): void {
    this.#live.delete(conversation);
    this.d.calls.close(live.callId, 'ended', endedAt, how === 'end' ? 'conversation-end' : 'conversation-idle');
    this.d.metrics.ended(live.channel, how);
  }

  #dup(channel: Channel): 'duplicate' {
    this.d.metrics.duplicate(channel);
    return 'duplicate';
  }

  #reject(r: Rejection): Rejection {
    this.d.metrics.rejected(r.reason);
    return r;
  }
}
