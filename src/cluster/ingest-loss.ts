// Calls of a lost ingest node. Calls live on the ingest node that took them (SIP dialog, RTP); if
// that process dies (kill -9, a lost host) nothing would ever end them at core. Core remembers which
// node each open call came from (the lifecycle events it publishes) and, once membership no longer
// sees that node, ends its calls `interrupted` (reason `ingest-lost`) with the gap recorded.
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import type { CallEvent, CallInfo } from '../call/types.js';
import type { Metrics } from '../metrics/registry.js';
import type { ClusterEvent } from './bus.js';
import type { Membership } from './members.js';

/** The events only the call's ingest node publishes (speech nodes send transcripts and call events). */
const FROM_INGEST: readonly ClusterEvent[] = ['call.started', 'call.updated', 'leg.added', 'leg.ended', 'call.ended'];

interface Owned {
  node: string;
  startedAt?: number;
  lastSeenAt: number;
}

export interface IngestLoss {
  /** Every event core consumes, with the node that published it. */
  seen(event: ClusterEvent, payload: unknown, from: string | undefined): void;
  /** Checks membership now (also done every `checkMs`). */
  check(): void;
  close(): void;
}

export function watchIngestLoss(members: Membership, o: {
  metrics: Metrics;
  log: Logger;
  /** Ends a call at core: the same events its ingest node would have sent. */
  end(event: CallEvent, ended: { callId: string; state: 'interrupted'; endedAt: number; reason: 'ingest-lost' }): void;
  checkMs?: number;
  graceMs?: number;
  now?: () => number;
}): IngestLoss {
  const now = o.now ?? Date.now;
  const lost = new Counter({
    name: 'earshot_cluster_calls_ingest_lost_total',
    help: 'Calls ended interrupted at core because their ingest node left the site',
    registers: [o.metrics.registry],
  });
  const calls = new Map<string, Owned>();
  // A node counts as lost only after it was seen live: a core that has just started (its
  // membership view still filling) must not end every call it hears of.
  const everLive = new Set<string>();
  // A node that stops gracefully ends its calls itself, and withdraws its announcement only after
  // those events are on the stream; the grace lets core read them before it judges the node lost.
  const goneSince = new Map<string, number>();
  const graceMs = o.graceMs ?? 5000;
  const check = () => {
    const live = new Set(members.nodes().map((n) => n.node));
    for (const n of live) {
      everLive.add(n);
      goneSince.delete(n);
    }
    const t = now();
    const byNode = new Map<string, string[]>();
    for (const [id, c] of calls) {
      if (!everLive.has(c.node) || live.has(c.node)) continue;
      const since = goneSince.get(c.node) ?? t;
      goneSince.set(c.node, since);
      if (t - since >= graceMs) byNode.set(c.node, [...(byNode.get(c.node) ?? []), id]);
    }
    for (const [node, ids] of byNode) {
      o.log.warn({ ingest: node, calls: ids.length }, 'cluster: ingest node left the site; ending its calls interrupted');
      for (const id of ids) {
        const c = calls.get(id)!;
        calls.delete(id);
        const at = now();
        const rel = (ms: number) => (c.startedAt === undefined ? undefined : Math.max(0, Math.round(ms - c.startedAt)));
        o.end(
          { callId: id, kind: 'ingest-lost', tMs: rel(c.lastSeenAt) ?? 0, data: { node, lastSeenAt: c.lastSeenAt, detectedAt: at, gapFromMs: rel(c.lastSeenAt), gapToMs: rel(at), gapMs: Math.max(0, at - c.lastSeenAt) } },
          { callId: id, state: 'interrupted', endedAt: at, reason: 'ingest-lost' },
        );
        lost.inc();
      }
    }
  };
  const timer = setInterval(check, o.checkMs ?? 1000);
  timer.unref();
  return {
    seen(event, payload, from) {
      const callId = (payload as { callId?: unknown } | null)?.callId;
      if (typeof callId !== 'string') return;
      if (event === 'call.ended') return void calls.delete(callId);
      const c = calls.get(callId);
      // Any event of the call moves the start of the gap (transcripts are of audio ingest had);
      // only ingest's own events say which node holds it.
      if (c) c.lastSeenAt = now();
      if (!from || !FROM_INGEST.includes(event)) return;
      if (c) c.node = from;
      else calls.set(callId, { node: from, lastSeenAt: now(), startedAt: event === 'call.started' ? (payload as CallInfo).startedAt : undefined });
    },
    check,
    close: () => clearInterval(timer),
  };
}
