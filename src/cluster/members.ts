// Membership: every node announces its roles, capacity and load in a KV bucket every few seconds;
// an entry not renewed for 5 periods is gone (the bucket's TTL removes it, readers skip it sooner).
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
/** Announcements missed before a node counts as gone (a busy 2-core box can stall a loop for seconds). */
const LIVE_PERIODS = 5;
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
  // Pushed by a watch (kv.keys() on nats-server 2.9 does not list every key reliably).
  let stopped = false;
  let it: Awaited<ReturnType<KV['watch']>> | undefined;
  const watching = (async () => {
    while (!stopped) {
      try {
        it = await kv.watch({ key: '>' });
        for await (const e of it) {
          if (e.operation !== 'PUT') {
            view.delete(e.key);
            continue;
          }
          try {
            view.set(e.key, { ...(e.json() as NodeAnnouncement), seenAt: e.created.getTime() });
          } catch {
            /* a malformed announcement is skipped */
          }
        }
      } catch (err) {
        if (!stopped) o.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'cluster: membership watch interrupted');
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 250));
    }
  })();
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    announce()
      .catch((err: unknown) => o.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'cluster: announcement failed'))
      .finally(() => (busy = false));
  };
  await announce().catch(() => {});
  const timer = setInterval(tick, every);
  timer.unref();
  // Judged against the newest announcement (server clock) so node clocks need not agree.
  const live = () => {
    const newest = Math.max(0, ...[...view.values()].map((n) => n.seenAt));
    return [...view.values()].filter((n) => newest - n.seenAt <= every * LIVE_PERIODS);
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
      stopped = true;
      it?.stop();
      await watching;
    },
  };
}
