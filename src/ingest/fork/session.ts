import type { Logger } from 'pino';
import type { PipelineBus } from '../../call/events.js';
import type { CallRegistry } from '../../call/registry.js';
import type { CallState, EndReason, IngestKind, LegInfo, Role } from '../../call/types.js';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../metrics/registry.js';
import { LegFramer } from './framer.js';

export interface ForkDeps {
  config: Config;
  log: Logger;
  bus: PipelineBus;
  calls: CallRegistry;
  metrics: Metrics;
}

export interface LegSpec {
  role: Role;
  label: string;
  codec: string;
}

export interface CallMeta {
  agentId?: string;
  queue?: string;
  /** The caller's number as the source sent it; the registry hashes it at once. */
  callerId?: string;
  /** The API key's name the connection authenticated with. */
  source?: string;
}

/**
 * One fork connection's call: opens the call and its legs, frames each leg's audio onto the bus,
 * and closes the call exactly once however the connection ends.
 */
export class ForkCall {
  readonly callId: string;
  readonly legs: LegInfo[];
  readonly framers: LegFramer[];
  #closed = false;

  constructor(deps: ForkDeps, ingest: IngestKind, externalId: string, specs: LegSpec[], sampleRate: number, meta: CallMeta = {}) {
    const call = deps.calls.open({ ingest, externalId, agentId: meta.agentId, queue: meta.queue, callerId: meta.callerId, source: meta.source });
    this.callId = call.info.callId;
    this.legs = specs.map((s) => deps.calls.addLeg(this.callId, s));
    this.framers = this.legs.map((l) => new LegFramer(deps.bus, l.legId, sampleRate));
    this.close = (state: CallState, reason?: EndReason) => {
      if (this.#closed) return;
      this.#closed = true;
      for (const f of this.framers) f.flush();
      deps.calls.close(this.callId, state, Date.now(), reason);
    };
  }

  /** One Int16Array per leg, in leg order. */
  push(channels: Int16Array[]): void {
    for (let i = 0; i < this.framers.length; i++) this.framers[i].push(channels[i]);
  }

  skip(ms: number): void {
    for (const f of this.framers) f.skip(ms);
  }

  get closed(): boolean {
    return this.#closed;
  }

  readonly close: (state: CallState, reason?: EndReason) => void;
}

/** Leg roles for a channel layout: stereo is always (customer, agent), as the senders order it. */
export function layoutLegs(mix: 'mono' | 'mixed' | 'stereo', codec: string, monoRole: Role = 'customer'): LegSpec[] {
  if (mix === 'stereo') return [{ role: 'customer', label: '0', codec }, { role: 'agent', label: '1', codec }];
  return [{ role: mix === 'mixed' ? 'mixed' : monoRole, label: '0', codec }];
}

/**
 * Calls made of several connections, one per leg (AudioSocket, ARI snoop channels), grouped by
 * a key the PBX sends. The call opens with the first leg and closes when the last one leaves.
 */
export class CallGroups {
  readonly #groups = new Map<string, { callId: string; open: number; legs: number }>();

  constructor(
    private readonly deps: ForkDeps,
    private readonly ingest: IngestKind,
    private readonly maxLegs = 2,
  ) {}

  /** Returns undefined when the group already has its maximum number of legs. Throws CallLimitError. */
  join(key: string, roleFor: (index: number) => Role, codec: string, source?: string, externalId = key): { callId: string; leg: LegInfo } | undefined {
    let g = this.#groups.get(key);
    if (g && g.legs >= this.maxLegs) return undefined;
    if (!g) {
      const call = this.deps.calls.open({ ingest: this.ingest, externalId, source });
      g = { callId: call.info.callId, open: 0, legs: 0 };
      this.#groups.set(key, g);
    }
    const leg = this.deps.calls.addLeg(g.callId, { role: roleFor(g.legs), label: String(g.legs), codec });
    g.legs++;
    g.open++;
    return { callId: g.callId, leg };
  }

  leave(key: string, state: CallState, reason?: EndReason): void {
    const g = this.#groups.get(key);
    if (!g || --g.open > 0) return;
    this.#groups.delete(key);
    this.deps.calls.close(g.callId, state, Date.now(), reason);
  }

  /** Whether a connection may still join `key` (the group is not full). */
  hasRoom(key: string): boolean {
    const g = this.#groups.get(key);
    return !g || g.legs < this.maxLegs;
  }
}
