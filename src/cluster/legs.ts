// Speech work distribution. Each open leg is a record in a JetStream KV bucket (the work queue):
// unclaimed legs are taken by a speech node with spare capacity (compare-and-set, so one node
// decodes a leg at a time), the holder renews its lease by rewriting the record, and a record not
// renewed for leaseSeconds is taken over by another node. The takeover is recorded on the call
// ('speech-handover' event with the audio gap); audio sent while nobody held the leg is buffered
// by ingest, never silently dropped.
import type { KV, KvEntry, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { PipelineBus } from '../call/events.js';
import type { AudioChunk, LegInfo } from '../call/types.js';
import type { Metrics } from '../metrics/registry.js';
import { subjectToken, type BusAdapter } from './bus.js';

export interface LegRecord {
  info: LegInfo;
  /** Node decoding it; '' = waiting for a speech node. */
  holder: string;
  /** Leg time of the last audio the holder had when it renewed (start of the gap if it dies). */
  tMs: number;
  handovers: number;
  ended: boolean;
}

/** Seq numbers per holder generation: a new holder's utterances never collide with the old one's. */
export const SEQ_SPAN = 100_000;
/** Ingest keeps at most this much audio per leg while no speech node holds it; beyond, it is shed (counted, told). */
const MAX_BUFFER_SECONDS = 60;

export const legsBucket = (site: string) => `earshot-${site}-legs`;
const END = 0; // sampleRate 0 on the audio subject = end of the leg's audio
const REPLAY = 1; // sampleRate 1 = what follows is ingest's replay for a new holder (after a takeover)
/**
 * Ingest keeps the audio since the holder's last renewed safe point, to replay to a node that takes
 * the leg over; at most this much (the holder stalled without dying, or renews with an old point).
 * It is the safe point, not a fixed window, that bounds it: a takeover that comes late (a loaded
 * site, a slow-starting node) must still find the dead holder's last safe point in the buffer.
 */
export const REPLAY_SECONDS = 60;
/** Speech may begin this long before its first partial: a takeover replays from that far back. */
const PREROLL_MS = 2000;

async function openBucket(nc: NatsConnection, site: string): Promise<KV> {
  return nc.jetstream().views.kv(legsBucket(site), { history: 1 });
}

/** Watch the bucket (recreated when the server restarts under us) until stopped. */
function watchAll(kv: KV, log: Logger, fn: (e: KvEntry) => void): () => Promise<void> {
  let stop = false;
  let it: Awaited<ReturnType<KV['watch']>> | undefined;
  const loop = (async () => {
    while (!stop) {
      try {
        it = await kv.watch({ key: '>' });
        for await (const e of it) fn(e);
      } catch (err) {
        if (!stop) log.debug({ err: err instanceof Error ? err.message : String(err) }, 'cluster: leg watch interrupted');
      }
      if (!stop) await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return async () => {
    stop = true;
    it?.stop();
    await loop;
  };
}

const decode = (e: KvEntry): LegRecord | undefined => {
  try {
    return e.operation === 'PUT' ? (e.json() as LegRecord) : undefined;
  } catch {
    return undefined;
  }
};
const encode = (r: LegRecord) => new TextEncoder().encode(JSON.stringify(r));

/** CAS-modify a record until it sticks (others renew it concurrently). */
async function modify(kv: KV, key: string, f: (r: LegRecord) => LegRecord | undefined): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    const e = await kv.get(key);
    const r = e && decode(e);
    if (!e || !r) return false;
    const next = f(r);
    if (!next) return false;
    try {
      await kv.update(key, encode(next), e.revision);
      return true;
    } catch {
      /* renewed meanwhile: retry on the fresh revision */
    }
  }
  return false;
}

/**
 * A write ingest must not lose: retried (a nats-server restarting, JetStream not yet recovered)
 * for up to RETRY_MS before it is given up, logged and counted.
 */
const RETRY_MS = 60_000;
async function persistently(what: string, f: () => Promise<unknown>, o: { log: Logger; metrics: Metrics }): Promise<void> {
  const end = performance.now() + RETRY_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await f();
      return;
    } catch (err) {
      if (performance.now() > end) {
        o.metrics.badInput('cluster', 'leg-write-failed');
        o.log.error({ err, code: 'EARSHOT_ERR_CLUSTER_BUS' }, `cluster: ${what}`);
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
    }
  }
}

export interface LegDispatch {
  /** Resolves when the speech node holding each leg has finished it; rejects when no lease moved for stallMs. */
  legsDone(legIds: string[], stallMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Ingest side: publishes legs to the bucket and their audio to the holder. */
export async function dispatchLegs(nc: NatsConnection, bus: BusAdapter, local: PipelineBus, o: { site: string; log: Logger; metrics: Metrics }): Promise<LegDispatch> {
  const kv = await openBucket(nc, o.site);
  interface Leg { info: LegInfo; holder: string; buffer: AudioChunk[]; bufferedSec: number; recent: AudioChunk[]; recentSec: number; safeTMs: number; ended: boolean; shed: boolean; done: Promise<void>; resolve: () => void; endTMs: number }
  const legs = new Map<string, Leg>();
  let changes = 0; // any record update: renewals show the speech nodes are alive
  const flush = (l: Leg) => {
    for (const c of l.buffer.splice(0)) bus.publishAudio(c);
    l.bufferedSec = 0;
    if (l.ended) bus.publishAudio({ legId: l.info.legId, samples: new Int16Array(0), sampleRate: END, tMs: l.endTMs });
  };
  const chunkSec = (c: AudioChunk) => c.samples.length / c.sampleRate;
  // Drop replay audio the holder has made safe (its finals are out), and beyond REPLAY_SECONDS.
  const trim = (l: Leg) => {
    while (l.recent.length && (l.recentSec > REPLAY_SECONDS || l.recent[0].tMs + chunkSec(l.recent[0]) * 1000 <= l.safeTMs)) {
      l.recentSec -= chunkSec(l.recent.shift()!);
    }
  };
  const stopWatch = watchAll(kv, o.log, (e) => {
    changes++;
    const l = legs.get(e.key);
    if (!l) return;
    if (e.operation !== 'PUT') {
      legs.delete(e.key);
      return l.resolve();
    }
    const r = decode(e);
    if (r && r.holder && r.holder === l.holder && r.tMs > l.safeTMs) {
      l.safeTMs = r.tMs; // a renewal: the holder's new safe point
      trim(l);
    }
    if (r?.holder && r.holder !== l.holder) {
      const takeover = l.holder !== '';
      l.holder = r.holder;
      if (takeover) {
        // The old holder died: what it had not renewed past is sent again to the new one, so the
        // gap is only what falls outside the replay window.
        bus.publishAudio({ legId: l.info.legId, samples: new Int16Array(0), sampleRate: REPLAY, tMs: r.tMs });
        for (const c of l.recent) if (c.tMs >= r.tMs) bus.publishAudio(c);
      }
      flush(l);
    }
  });
  const offs = [
    local.on('leg.added', (info) => {
      const key = subjectToken(info.legId);
      if (legs.has(key)) return;
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      legs.set(key, { info, holder: '', buffer: [], bufferedSec: 0, recent: [], recentSec: 0, safeTMs: 0, ended: false, shed: false, done, resolve, endTMs: 0 });
      void persistently('leg could not be queued for speech', () => kv.put(key, encode({ info, holder: '', tMs: 0, handovers: 0, ended: false })), o);
    }),
    local.on('leg.audio', (c) => {
      const l = legs.get(subjectToken(c.legId));
      if (!l || l.ended) return;
      l.endTMs = c.tMs + (c.samples.length / c.sampleRate) * 1000;
      l.recent.push(c);
      l.recentSec += chunkSec(c);
      trim(l);
      if (l.holder) return bus.publishAudio(c);
      // No speech node yet (or the holder just died and nobody took over): keep it, bounded.
      if (l.bufferedSec > MAX_BUFFER_SECONDS) {
        o.metrics.badInput('cluster', 'no-speech-node');
        if (!l.shed) {
          l.shed = true;
          local.emit('call.event', { callId: l.info.callId, legId: c.legId, kind: 'shed', tMs: c.tMs, data: { reason: 'no-speech-node' } });
        }
        return;
      }
      l.buffer.push(c);
      l.bufferedSec += c.samples.length / c.sampleRate;
    }),
    local.on('leg.ended', (info) => {
      const key = subjectToken(info.legId);
      const l = legs.get(key);
      if (!l || l.ended) return;
      l.ended = true;
      if (l.holder) bus.publishAudio({ legId: info.legId, samples: new Int16Array(0), sampleRate: END, tMs: l.endTMs });
      // modify() is false when the record is not there (yet: its put may still be retrying).
      void persistently('leg end could not be recorded', async () => {
        if (!(await modify(kv, key, (r) => ({ ...r, ended: true }))) && legs.has(key)) throw new Error('leg record not found');
      }, o);
    }),
  ];
  return {
    legsDone(legIds, stallMs) {
      const waits = legIds.map((id) => legs.get(subjectToken(id))?.done ?? Promise.resolve());
      return new Promise<void>((resolve, reject) => {
        let last = changes;
        let still = 0;
        const every = Math.max(10, stallMs / 4);
        const timer = setInterval(() => {
          still = changes === last ? still + every : 0;
          last = changes;
          if (still >= stallMs) {
            clearInterval(timer);
            reject(Object.assign(new Error('no speech node made progress on these legs'), { code: 'EARSHOT_ERR_ASR_STALLED' }));
          }
        }, every);
        timer.unref();
        void Promise.all(waits).then(() => (clearInterval(timer), resolve()));
      });
    },
    async close() {
      offs.forEach((off) => off());
      await stopWatch();
    },
  };
}

export interface SpeechLeases {
  /** Legs held now (the node's load). */
  load(): number;
  capacity: number;
  /** Offset for this leg's utterance seq numbers (per holder generation). */
  seqOffset(legId: string): number | undefined;
  close(): Promise<void>;
}

/**
 * Speech side: claims legs up to `capacity`, feeds them to the local speech stage through `local`
 * (leg.added / leg.audio / leg.ended), renews the leases, takes over legs whose holder went silent.
 */
export async function takeLegs(
  nc: NatsConnection,
  bus: BusAdapter,
  local: PipelineBus,
  o: { site: string; node: string; capacity: number; leaseMs: number; log: Logger; legDone: (legId: string) => Promise<void> },
): Promise<SpeechLeases> {
  const kv = await openBucket(nc, o.site);
  const { node, log } = o;
  interface Seen { rec: LegRecord; seenAt: number }
  const seen = new Map<string, Seen>();
  // openMs: start of the utterance being decoded (a partial, no final yet); finalEndMs: leg time
  // up to which every final is out. The lease records the safe point between them (see safePoint).
  interface Held { info: LegInfo; lastTMs: number; handovers: number; gapFrom?: number; waitReplay: boolean; off: () => void; finishing?: Promise<void>; endedAt?: number; openMs?: number; finalEndMs: number }
  const held = new Map<string, Held>();
  const claiming = new Set<string>();
  let closed = false;

  const finish = (key: string) => {
    const h = held.get(key);
    if (!h || h.finishing) return;
    h.off();
    if (h.gapFrom !== undefined) gap(h, Math.max(h.lastTMs, h.gapFrom));
    local.emit('leg.ended', h.info);
    h.finishing = o.legDone(h.info.legId)
      .then(async () => {
        await bus.flush(); // its last transcripts are stored before ingest hears the leg is done
        await kv.delete(key);
      })
      .catch((err: unknown) => log.error({ err }, 'cluster: leg finish failed'))
      .finally(() => held.delete(key));
  };
  const gap = (h: Held, toTMs: number) => {
    const from = h.gapFrom!;
    h.gapFrom = undefined;
    bus.publish('call.event', { callId: h.info.callId, legId: h.info.legId, kind: 'speech-handover', tMs: from, data: { gapFromMs: Math.round(from), gapToMs: Math.round(toTMs), gapMs: Math.max(0, Math.round(toTMs - from)), handovers: h.handovers, node } });
  };

  async function claim(key: string): Promise<void> {
    if (closed || held.has(key) || claiming.has(key) || held.size + claiming.size >= o.capacity) return;
    claiming.add(key);
    try {
      const e = await kv.get(key);
      const r = e && decode(e);
      if (!e || !r) return;
      const s = seen.get(key);
      const stale = r.holder !== '' && (!s || performance.now() - s.seenAt >= o.leaseMs);
      if (r.holder !== '' && !stale) return;
      const takeover = r.holder !== '';
      // A takeover ignores live audio until ingest's replay from the old holder's last renewal.
      const h: Held = { info: r.info, lastTMs: takeover ? -1 : r.tMs, handovers: r.handovers + (takeover ? 1 : 0), waitReplay: takeover, off: () => {}, finalEndMs: Math.max(0, r.tMs) };
      if (takeover) h.gapFrom = r.tMs;
      // Listen before claiming: ingest flushes its buffer (or replays) as soon as it sees us as the
      // holder, which may be before our claim's own acknowledgement comes back. Until the leg is
      // announced to the local speech stage (leg.added), what arrives is held in order: the stage
      // drops audio of a leg it does not know, and that was the first seconds of a taken-over leg.
      let early: AudioChunk[] | undefined = [];
      const onAudio = (c: AudioChunk) => {
        if (c.sampleRate === END) return h.waitReplay ? undefined : finish(key);
        if (c.sampleRate === REPLAY) return void (h.waitReplay = false);
        if (h.waitReplay || c.tMs <= h.lastTMs) return;
        if (h.gapFrom !== undefined) gap(h, c.tMs);
        h.lastTMs = c.tMs;
        local.emit('leg.audio', c);
      };
      h.off = bus.subscribeAudio(r.info.legId, (c) => (early ? void early.push(c) : onAudio(c)));
      await nc.flush();
      try {
        await kv.update(key, encode({ ...r, holder: node, handovers: h.handovers }), e.revision);
      } catch {
        h.off();
        return; // another node was faster
      }
      held.set(key, h);
      local.emit('leg.added', r.info);
      const pending = early;
      early = undefined;
      for (const c of pending) onAudio(c);
      // Which node decodes the leg, on the call (operations; the netns test's spread assertion).
      bus.publish('call.event', { callId: r.info.callId, legId: r.info.legId, kind: 'speech-node', tMs: Math.max(0, r.tMs), data: { node, handovers: h.handovers } });
      if (takeover) log.warn({ handovers: h.handovers }, 'cluster: took over a leg from a speech node that stopped renewing it');
      // Ended while its holder was gone: ingest replays the tail and ends it; if it does not
      // (ingest gone too), the renew loop finishes the leg after a lease.
      if (takeover && r.ended) h.endedAt = performance.now();
    } catch (err) {
      log.debug({ err: err instanceof Error ? err.message : String(err) }, 'cluster: claim failed');
    } finally {
      claiming.delete(key);
    }
  }

  // Fuller nodes wait longer before claiming a new leg: work goes by spare capacity.
  // The wait is judged again when it ends: legs that arrive together (calls starting at once) must
  // not all be claimed by the first node to see them, at the load it had before it took any.
  const loadNow = () => (held.size + claiming.size) / Math.max(1, o.capacity);
  const claimSoon = (key: string, again = false) => {
    const load = loadNow();
    if (load >= 1) return;
    setTimeout(() => {
      if (!again && loadNow() > load) return claimSoon(key, true);
      void claim(key);
    }, 5 + Math.round(200 * load + 20 * Math.random())).unref();
  };

  // The lease records where a new holder must start if this node dies: not the last audio it
  // had, but the start of the utterance it has not finalised yet (less a pre-roll for speech
  // whose first partial is still to come), never before audio whose finals are already out.
  const safePoint = (h: Held) => Math.max(h.finalEndMs, Math.min(h.lastTMs, h.openMs ?? Infinity) - PREROLL_MS);
  const offTranscripts = local.on('transcript', (tr) => {
    const h = held.get(subjectToken(tr.legId));
    if (!h) return;
    if (tr.final) {
      h.openMs = undefined;
      h.finalEndMs = Math.max(h.finalEndMs, tr.endMs);
    } else h.openMs ??= tr.startMs;
  });

  const stopWatch = watchAll(kv, log, (e) => {
    if (e.operation !== 'PUT') {
      seen.delete(e.key);
      return;
    }
    const r = decode(e);
    if (!r) return;
    seen.set(e.key, { rec: r, seenAt: performance.now() });
    const h = held.get(e.key);
    if (h && r.holder !== node && !h.finishing) {
      // Someone else took it (we were too slow renewing): stop feeding it, say so.
      log.warn('cluster: lost a leg lease to another speech node');
      h.off();
      held.delete(e.key);
      local.emit('leg.ended', h.info);
    } else if (h && r.ended && h.endedAt === undefined) {
      h.endedAt = performance.now(); // the end frame normally follows; see the renew loop
    } else if (!r.holder) claimSoon(e.key);
  });

  const renew = async () => {
    for (const [key, h] of held) {
      // A finishing leg is still renewed: its last finals may take longer than a lease to decode,
      // and a node that took it over now would end the call before they are published.
      // An end recorded but its end frame lost (sent while we were subscribing): finish anyway.
      if (!h.finishing && h.endedAt !== undefined && performance.now() - h.endedAt > o.leaseMs) {
        finish(key);
        continue;
      }
      await modify(kv, key, (r) => (r.holder === node ? { ...r, tMs: safePoint(h) } : undefined)).catch(() => false);
    }
    for (const [key, s] of seen) {
      if (s.rec.holder && s.rec.holder !== node && !held.has(key) && performance.now() - s.seenAt >= o.leaseMs) void claim(key);
      else if (!s.rec.holder && !held.has(key)) claimSoon(key);
    }
  };
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = true;
    renew()
      .catch((err: unknown) => log.debug({ err: err instanceof Error ? err.message : String(err) }, 'cluster: lease renewal failed'))
      .finally(() => (renewing = false));
  }, Math.max(100, o.leaseMs / 3));
  timer.unref();

  return {
    capacity: o.capacity,
    load: () => held.size,
    seqOffset: (legId) => {
      const h = held.get(subjectToken(legId));
      return h ? h.handovers * SEQ_SPAN : undefined;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await stopWatch();
      offTranscripts();
      for (const h of held.values()) h.off();
    },
  };
}
