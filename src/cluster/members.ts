// Membership: every node announces its roles, capacity and load in a KV bucket every few seconds;
// an entry not renewed for 3 periods is gone (the bucket's TTL removes it, readers skip it sooner).
import type { KV, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { NodeRole } from './config.js';

export interface NodeAnnouncement {
  node: string;
  roles: NodeRole[];
  /** Legs this node can decode at once (speech), 0 for other roles. */
  capacity: number;
  /** Legs it decodes now (speech) or calls it carries (ingest). */
  load: number;
  /** Seconds since it started. */
  uptimeS: number;
}
export interface NodeView extends NodeAnnouncement {
  /** Server time of the last announcement (ms). */
  seenAt: number;
}

export const ANNOUNCE_MS = 1000;
const membersBucket = (site: string) => `earshot-${site}-nodes`;

export interface Membership {
  nodes(): NodeView[];
  /** The site's speech capacity and load (over live speech nodes). */
  speech(): { capacity: number; load: number; nodes: number };
  close(): Promise<void>;
}

export async function joinSite(nc: NatsConnection, o: { site: string; node: string; roles: NodeRole[]; log: Logger; capacity: () => number; load: () => number; announceMs?: number }): Promise<Membership> {
  const every = o.announceMs ?? ANNOUNCE_MS;
  const kv: KV = await nc.jetstream().views.kv(membersBucket(o.site), { history: 1, ttl: every * 10 });
  const started = Date.now();
  const view = new Map<string, NodeView>();
  const announce = async () => {
    const a: NodeAnnouncement = { node: o.node, roles: o.roles, capacity: o.capacity(), load: o.load(), uptimeS: Math.round((Date.now() - started) / 1000) };
    await kv.put(o.node, new TextEncoder().encode(JSON.stringify(a)));
  };
  const refresh = async () => {
    const seen = new Set<string>();
    for await (const k of await kv.keys()) {
      const e = await kv.get(k);
      if (!e || e.operation !== 'PUT') continue;
      try {
        const a = e.json() as NodeAnnouncement;
        view.set(k, { ...a, seenAt: e.created.getTime() });
        seen.add(k);
      } catch {
        /* a malformed announcement is skipped */
      }
    }
    for (const k of view.keys()) if (!seen.has(k)) view.delete(k);
  };
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    announce()
      .then(refresh)
      .catch((err: unknown) => o.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'cluster: announcement failed'))
      .finally(() => (busy = false));
  };
  await announce().then(refresh).catch(() => {});
  const timer = setInterval(tick, every);
  timer.unref();
  // Judged against the newest announcement (server clock) so node clocks need not agree.
  const live = () => {
    const newest = Math.max(0, ...[...view.values()].map((n) => n.seenAt));
    return [...view.values()].filter((n) => newest - n.seenAt <= every * 3);
  };
  return {
    nodes: () => live().sort((a, b) => a.node.localeCompare(b.node)),
    speech: () => {
      const s = live().filter((n) => n.roles.includes('speech'));
      return { capacity: s.reduce((t, n) => t + n.capacity, 0), load: s.reduce((t, n) => t + n.load, 0), nodes: s.length };
    },
    async close() {
      clearInterval(timer);
      await kv.delete(o.node).catch(() => {});
    },
  };
}
