// The pipeline bus between hosts. One interface, two adapters: in-process (the single box, today's
// PipelineBus) and NATS JetStream. Events travel as JSON on a durable stream (a core restart loses
// nothing); leg audio travels as binary frames on per-leg core-NATS subjects (live, not persisted).
import { AckPolicy, DeliverPolicy, JSONCodec, RetentionPolicy, StorageType, headers, type ConsumerMessages, type JetStreamClient, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { EventName, PipelineBus, PipelineEvents } from '../call/events.js';
import type { AudioChunk } from '../call/types.js';
import type { Metrics } from '../metrics/registry.js';

/** The events that cross hosts; `leg.audio` has its own binary path. */
export const CLUSTER_EVENTS = ['call.started', 'call.updated', 'leg.added', 'leg.ended', 'leg.stats', 'transcript', 'call.event', 'call.ended'] as const satisfies readonly EventName[];
export type ClusterEvent = (typeof CLUSTER_EVENTS)[number];
/** `from`: the node that published it (NATS only). */
type Handler = (event: ClusterEvent, payload: unknown, from?: string) => void;

export interface BusAdapter {
  readonly kind: 'in-process' | 'nats';
  /** To every subscriber of the site; durable on NATS (retried until the server stores it). */
  publish<E extends ClusterEvent>(event: E, ...args: PipelineEvents[E]): void;
  /** Site events, in order, from a durable consumer `durable` (resumes where it left off). */
  subscribe(durable: string, fn: Handler): Promise<() => Promise<void>>;
  publishAudio(chunk: AudioChunk): void;
  subscribeAudio(legId: string, fn: (chunk: AudioChunk) => void): () => void;
  /** Resolves when everything published so far is stored (or could not be: then counted). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The single box: the stages' own bus. */
export function inProcessBus(bus: PipelineBus): BusAdapter {
  return {
    kind: 'in-process',
    publish: (event, ...args) => bus.emit(event, ...args),
    async subscribe(_durable, fn) {
      const offs = CLUSTER_EVENTS.map((e) => bus.on(e, (...args: unknown[]) => fn(e, args[0])));
      return async () => offs.forEach((off) => off());
    },
    publishAudio: (chunk) => bus.emit('leg.audio', chunk),
    subscribeAudio: (legId, fn) => bus.on('leg.audio', (c) => c.legId === legId && fn(c)),
    flush: async () => {},
    close: async () => {},
  };
}

/** A leg id as one subject token (ids are ours, but a token must not hold '.', '*', '>' or spaces). */
export const subjectToken = (id: string) => (/^[A-Za-z0-9_-]{1,128}$/u.test(id) ? id : `x${Buffer.from(id).toString('hex')}`);

export const streamName = (site: string) => `earshot-${site}-events`;

// Frame: u32 sample rate, f64 tMs, u16 legId length, legId utf8, then int16 LE samples (2-aligned).
export function encodeAudio(c: AudioChunk): Uint8Array {
  const id = Buffer.from(c.legId);
  const head = 14 + id.length;
  const pad = head % 2;
  const out = Buffer.alloc(head + pad + c.samples.byteLength);
  out.writeUInt32LE(c.sampleRate, 0);
  out.writeDoubleLE(c.tMs, 4);
  out.writeUInt16LE(id.length, 12);
  id.copy(out, 14);
  Buffer.from(c.samples.buffer, c.samples.byteOffset, c.samples.byteLength).copy(out, head + pad);
  return out;
}

export function decodeAudio(b: Uint8Array): AudioChunk | undefined {
  if (b.byteLength < 14) return undefined;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const n = buf.readUInt16LE(12);
  const head = 14 + n;
  const start = head + (head % 2);
  if (buf.length < start || (buf.length - start) % 2) return undefined;
  const samples = new Int16Array((buf.length - start) / 2);
  Buffer.from(samples.buffer).set(buf.subarray(start));
  return { sampleRate: buf.readUInt32LE(0), tMs: buf.readDoubleLE(4), legId: buf.subarray(14, head).toString('utf8'), samples };
}

const PUBLISH_BATCH = 256;
const denied = (err: unknown) => (err as { code?: unknown } | undefined)?.code === 'PERMISSIONS_VIOLATION';
const PUBLISH_TRIES = 20;

export async function natsBus(nc: NatsConnection, o: { site: string; node: string; log: Logger; metrics: Metrics; maxAgeHours?: number }): Promise<BusAdapter> {
  const { site, node, log, metrics } = o;
  const jc = JSONCodec();
  const js: JetStreamClient = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const stream = streamName(site);
  const prefix = `earshot.${site}`;
  const cfg = { name: stream, subjects: [`${prefix}.ev.>`], retention: RetentionPolicy.Limits, storage: StorageType.File, max_age: (o.maxAgeHours ?? 24) * 3600e9, duplicate_window: 120e9 };
  try {
    await jsm.streams.info(stream);
  } catch {
    await jsm.streams.add(cfg);
  }

  // Ordered, bounded-concurrency sender: a batch is retried (server restart, leader election) before
  // the next one goes, so events keep their order and none is dropped while the server comes back.
  // The message id makes a retry of a stored message a no-op (duplicate window).
  let seq = 0;
  const deniedSubjects = new Set<string>();
  const queue: { subject: string; data: Uint8Array; id: string }[] = [];
  let sending: Promise<void> | undefined;
  let closed = false;
  const drain = async () => {
    while (queue.length) {
      const batch = queue.splice(0, PUBLISH_BATCH);
      let pending = batch;
      for (let attempt = 0; pending.length && attempt < PUBLISH_TRIES; attempt++) {
        if (attempt) await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
        const results = await Promise.allSettled(pending.map((m) => {
          const h = headers();
          h.set('earshot-node', node);
          return js.publish(m.subject, m.data, { msgID: m.id, headers: h, timeout: 2000 });
        }));
        pending = pending.filter((m, i) => {
          const r = results[i];
          if (r.status === 'fulfilled') return false;
          // The server's permissions deny this role the subject: retrying cannot help. Dropped,
          // counted, logged once per subject (a misconfigured user would otherwise flood the log).
          if (denied(r.reason)) {
            metrics.badInput('cluster', 'permission-denied');
            if (!deniedSubjects.has(m.subject)) {
              deniedSubjects.add(m.subject);
              log.error({ subject: m.subject, code: 'EARSHOT_ERR_CLUSTER_DENIED' }, 'cluster: the NATS server denies this node publishing to the subject; its events are dropped');
            }
            return false;
          }
          return true;
        });
        if (closed && pending.length) break;
      }
      if (pending.length) {
        metrics.badInput('cluster', 'publish-failed');
        log.error({ events: pending.length, code: 'EARSHOT_ERR_CLUSTER_BUS' }, 'cluster: events could not be stored on the bus');
      }
    }
  };
  const kick = () => (sending ??= drain().finally(() => (sending = undefined)));

  const flush = async () => {
    while (queue.length || sending) await (sending ?? kick());
  };
  const subs: (() => Promise<void>)[] = [];
  return {
    kind: 'nats',
    publish(event, ...args) {
      queue.push({ subject: `${prefix}.ev.${event}`, data: jc.encode(args[0]), id: `${node}-${process.pid}-${++seq}` });
      void kick();
    },
    async subscribe(durable, fn) {
      try {
        await jsm.consumers.info(stream, durable);
      } catch {
        await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: 30e9, max_ack_pending: 1000 });
      }
      const consumer = await js.consumers.get(stream, durable);
      let messages: ConsumerMessages | undefined;
      let stop = false;
      // A server that died before it wrote our acks redelivers what we already handled: skipped
      // by stream sequence (delivery is in stream order; at-least-once across a core restart).
      let highWater = 0;
      // consume() ends if the consumer is lost with the server: come back until closed.
      const loop = (async () => {
        while (!stop) {
          try {
            messages = await consumer.consume({ max_messages: 256 });
            for await (const m of messages) {
              const sseq = m.info.streamSequence;
              if (sseq <= highWater) {
                m.ack();
                continue;
              }
              highWater = sseq;
              const event = m.subject.slice(prefix.length + 4) as ClusterEvent;
              if (!(CLUSTER_EVENTS as readonly string[]).includes(event)) {
                metrics.badInput('cluster', 'unknown-event');
                m.ack();
                continue;
              }
              let payload: unknown;
              try {
                payload = jc.decode(m.data);
              } catch {
                metrics.badInput('cluster', 'json');
                m.ack();
                continue;
              }
              const from = m.headers?.get('earshot-node');
              if (from !== node) fn(event, payload, from || undefined);
              m.ack();
            }
          } catch (err) {
            if (!stop) log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cluster: consumer interrupted; resuming');
          }
          if (!stop) await new Promise((r) => setTimeout(r, 250));
        }
      })();
      const off = async () => {
        stop = true;
        await messages?.close();
        await loop;
      };
      subs.push(off);
      return off;
    },
    publishAudio(chunk) {
      nc.publish(`${prefix}.audio.${subjectToken(chunk.legId)}`, encodeAudio(chunk));
    },
    subscribeAudio(legId, fn) {
      const sub = nc.subscribe(`${prefix}.audio.${subjectToken(legId)}`, {
        callback: (err, m) => {
          if (err) return;
          const c = decodeAudio(m.data);
          if (!c || c.legId !== legId) return void metrics.badInput('cluster', 'audio-frame');
          fn(c);
        },
      });
      return () => sub.unsubscribe();
    },
    flush,
    async close() {
      closed = true;
      await flush().catch(() => {});
      for (const off of subs.splice(0)) await off();
    },
  };
}
