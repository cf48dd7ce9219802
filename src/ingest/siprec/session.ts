// One recording session (one SIPREC dialog): the call in the registry, a leg per recorded stream,
// and each leg's RTP socket and decoder. Offers and re-offers come in; SDP answers go out.
import type { Logger } from 'pino';
import type { PipelineBus } from '../../call/events.js';
import type { CallRegistry } from '../../call/registry.js';
import type { EndReason, LegInfo } from '../../call/types.js';
import { createDecoder, type Decoder } from '../codecs/index.js';
import type { BoundPair, PortPool } from '../rtp/port-pool.js';
import { estimateMos } from '../rtp/quality.js';
import { RtpReceiver, type LatchPolicy } from '../rtp/receiver.js';
import { SrtpKey, SrtpReceiver, type CryptoOffer, type SrtpSuite } from '../rtp/srtp.js';
import { RtpStream, type PayloadMap } from '../rtp/stream.js';
import type { RecordingMetadata } from './metadata.js';
import type { IngestMetrics } from './metrics.js';
import { assignRoles, type RoleBasis, type RoleRules } from './roles.js';
import { delayedOffer } from './offer.js';
import { buildAnswer, flows, selectStreams, type AnsweredStream, type OfferedStream } from './sdp.js';
import { EarshotError } from '../../errors.js';

export interface SessionDeps {
  bus: PipelineBus;
  calls: CallRegistry;
  log: Logger;
  pool: PortPool;
  metrics: IngestMetrics;
  jitterMs: number;
  /** Who is the agent (sip.agentPattern, sip.roles). */
  agentPattern?: RegExp | RoleRules;
  /** Streams recorded per call (sip.maxStreamsPerCall); more are answered with port 0. */
  maxStreams?: number;
  /** The SRC's address: the calls' source. */
  source?: string;
  /** Symmetric-RTP latching policy (rtp.latching); admits = sip.allow. */
  latch?: LatchPolicy;
}

interface LegMedia {
  leg: LegInfo;
  offer: OfferedStream;
  pair: BoundPair;
  receiver: RtpReceiver;
  stream: RtpStream;
  decoders: Decoder[];
  map: PayloadMap;
  reported: { packets: number; lost: number };
  /** When the stream started (or resumed) flowing: the inactivity clock's start before any packet. */
  since: number;
  /** For `calls show`: latched to a source other than the SDP's, packets dropped from other sources. */
  source: { latched: boolean; foreign: number };
  /** SRTP leg: our answer key (memory only) and the context keyed by the SRC's offer. */
  srtp?: { key: SrtpKey; offered: CryptoOffer; rx: SrtpReceiver; authFailures: number };
}

export class NothingDecodableError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_NOT_ACCEPTABLE';
  constructor(message: string) {
    super('EARSHOT_ERR_NOT_ACCEPTABLE', undefined, { message });
    this.name = 'NothingDecodableError';
  }
}

/** The offer was CANCELled while its ports and decoders were being prepared: no call was opened (a 487). */
export class OfferCancelledError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_OFFER_CANCELLED';
  constructor(message: string) {
    super('EARSHOT_ERR_OFFER_CANCELLED', undefined, { message });
    this.name = 'OfferCancelledError';
  }
}

type Payloads = { map: PayloadMap; decoders: Decoder[] };

const STATS_EVERY_MS = 5000;

export class RecordingSession {
  readonly #media = new Map<string, LegMedia>(); // by stream label
  #offer: OfferedStream[] = [];
  #meta: RecordingMetadata | undefined;
  #version = 0;
  readonly #sessionId = Math.floor(Math.random() * 1e9);
  #lastStats = Date.now();
  #closed = false;
  callId = '';

  private constructor(private readonly d: SessionDeps, private readonly answerAddr: string) {}

  /**
   * Binds ports and decoders for an initial offer, then opens the call. Throws the registry's
   * call-limit error (ports released), NothingDecodableError, or OfferCancelledError when
   * `cancelled()` turns true while the (asynchronous) preparation ran.
   *
   * Everything asynchronous happens before the call is opened, and from the cancel check to the
   * return nothing awaits: a CANCEL either wins (no call, no row, nothing for KPIs) or finds the
   * recording already answered, never a call opened and closed again.
   */
  static async open(d: SessionDeps, externalId: string, offer: OfferedStream[], meta: RecordingMetadata | undefined, answerAddr: string, cancelled: () => boolean = () => false, pre?: BoundPair[]): Promise<{ session: RecordingSession; sdp: string }> {
    const s = new RecordingSession(d, answerAddr);
    // Delayed offer: `offer` is the SRC's answer to our offer, m-line i on our port pre[i].
    const wanted = s.#within(offer.filter((o) => o.codec && (!pre || pre[o.index])), new Set());
    if (wanted.length === 0) {
      for (const p of pre ?? []) d.pool.release(p);
      throw new NothingDecodableError('no decodable audio stream offered');
    }
    if (pre) for (const [i, p] of pre.entries()) if (!wanted.some((o) => o.index === i)) d.pool.release(p);
    const pairs = pre ? wanted.map((o) => pre[o.index]) : await d.pool.allocate(wanted.length);
    const payloads: Payloads[] = [];
    let call;
    try {
      for (const o of wanted) payloads.push(await s.#payloads(o));
      if (cancelled()) throw new OfferCancelledError('offer cancelled before it was answered');
      call = d.calls.open({ ingest: 'siprec', externalId, source: d.source });
    } catch (err) {
      for (const p of pairs) d.pool.release(p);
      for (const p of payloads) for (const dec of p.decoders) dec.free();
      throw err;
    }
    s.callId = call.info.callId;
    s.#meta = meta;
    const roles = assignRoles(wanted.map((o) => o.label), meta, d.agentPattern);
    const by = new Set<RoleBasis>();
    for (const [i, o] of wanted.entries()) {
      const r = roles.get(o.label) ?? { role: 'unknown' as const, by: 'order' as const };
      const leg = d.calls.addLeg(s.callId, { role: r.role, label: o.label, participant: r.participant, codec: o.codec!.name });
      s.#media.set(o.label, s.#startMedia(leg, o, pairs[i], payloads[i]));
      by.add(r.by ?? 'order');
      d.metrics.roles.inc({ by: r.by ?? 'order' });
    }
    // Said on the call (calls show, the call's events): which rule split customer from agent, and
    // whether it was only the order of the streams (a guess an operator fixes with sip.roles).
    const fallback = by.has('order');
    d.bus.emit('call.event', { callId: s.callId, kind: 'roles', tMs: 0, data: { by: [...by].sort(), fallback } });
    if (fallback) d.log.info({ callId: s.callId, by: [...by] }, 'SIPREC roles by stream order: no sip.agentPattern / sip.roles rule split the participants');
    s.#offer = offer;
    return { session: s, sdp: s.#answer() };
  }

  /** A re-INVITE: new SDP, new metadata, or both. Unchanged streams keep their port and timeline. */
  async update(offer: OfferedStream[] | undefined, meta: RecordingMetadata | undefined): Promise<string> {
    if (offer) {
      if (!offer.some((o) => o.codec)) throw new NothingDecodableError('re-offer has no decodable stream');
      const seen = new Set<string>();
      // Streams kept from before count against the cap first; new ones fill what is left.
      const keep = new Set(offer.filter((o) => o.codec && this.#media.has(o.label)).map((o) => o.label));
      const admitted = new Set(this.#within(offer.filter((o) => o.codec && !keep.has(o.label)), keep).map((o) => o.label));
      for (const o of offer) {
        if (seen.has(o.label)) continue; // a repeated label is answered with port 0 (see #answer)
        seen.add(o.label);
        const m = this.#media.get(o.label);
        if (!o.codec) {
          if (m) this.#stopMedia(m);
          continue;
        }
        if (!m) {
          if (!admitted.has(o.label)) continue;
          const [pair] = await this.d.pool.allocate(1);
          const p = await this.#payloads(o);
          const r = assignRoles([...this.#media.keys(), o.label], meta ?? this.#meta, this.d.agentPattern).get(o.label);
          const leg = this.d.calls.addLeg(this.callId, { role: r?.role ?? 'unknown', label: o.label, participant: r?.participant, codec: o.codec.name });
          this.#media.set(o.label, this.#startMedia(leg, o, pair, p));
          continue;
        }
        await this.#reconfigure(m, o);
      }
      for (const m of [...this.#media.values()]) if (!seen.has(m.offer.label)) this.#stopMedia(m);
      this.#offer = offer;
    }
    if (meta) this.#applyMetadata(meta);
    return this.#answer();
  }

  /** Our offer for a re-INVITE without SDP: the streams recorded now, on their ports, recvonly. */
  offer(): string {
    return delayedOffer([...this.#media.values()].map((m) => ({ label: m.offer.label, port: m.pair.port })), this.answerAddr, this.#sessionId, this.#version++);
  }

  /** Idle drain (tail of a talk spurt) and periodic stats; called by the core's timer. */
  tick(now: number, idleMs: number): void {
    for (const m of this.#media.values()) {
      if (m.receiver.lastArrival && now - m.receiver.lastArrival > idleMs) m.stream.drain();
    }
    if (now - this.#lastStats >= STATS_EVERY_MS) {
      this.#lastStats = now;
      for (const m of this.#media.values()) this.#stats(m);
    }
  }

  close(state: 'ended' | 'interrupted' = 'ended', reason?: EndReason): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const m of [...this.#media.values()]) this.#stopMedia(m);
    this.d.calls.close(this.callId, state, Date.now(), reason);
  }

  /**
   * How long the streams that should flow have brought no RTP: 0 while every stream is on hold
   * (a re-INVITE with a=inactive / recvonly pauses the clock; resuming restarts it).
   */
  inactiveFor(now: number): number {
    let latest = -1;
    for (const m of this.#media.values()) {
      if (!flows(m.offer.direction)) continue;
      latest = Math.max(latest, m.receiver.lastArrival, m.since);
    }
    return latest < 0 ? 0 : now - latest;
  }

  /**
   * The offered streams this call records, in order: one per label (a repeated label would share
   * a leg), at most `maxStreams` with those in `kept`; the rest are answered with port 0.
   */
  #within(candidates: OfferedStream[], kept: Set<string>): OfferedStream[] {
    const max = this.d.maxStreams ?? 4;
    const { chosen, refused } = selectStreams(candidates, kept, max);
    if (refused > 0) {
      this.d.metrics.badInput('sdp', 'too-many-streams');
      this.d.log.warn({ refused, max }, 'SIPREC offer has more streams than sip.maxStreamsPerCall; refusing the rest with port 0');
    }
    return chosen;
  }

  get legs(): LegInfo[] {
    return [...this.#media.values()].map((m) => m.leg);
  }

  #answer(): string {
    // A label's port goes to its first m-line only; a repeat (or a stream past the cap) gets port 0.
    const given = new Set<string>();
    const answered: AnsweredStream[] = this.#offer.map((o) => {
      const m = given.has(o.label) ? undefined : this.#media.get(o.label);
      given.add(o.label);
      const crypto = m?.srtp && o.crypto ? m.srtp.key.attribute(o.crypto.tag) : undefined;
      return { offer: o, port: m?.pair.port ?? 0, crypto };
    });
    return buildAnswer(answered, { addr: this.answerAddr, sessionId: this.#sessionId, version: this.#version++ });
  }

  /** Decoders for an offered stream (may load a wasm codec: asynchronous). */
  async #payloads(o: OfferedStream): Promise<Payloads> {
    const dec = await createDecoder(o.codec!);
    const map: PayloadMap = { decoders: new Map([[o.codec!.pt, dec]]), events: new Map() };
    if (o.dtmf) map.events.set(o.dtmf.pt, o.dtmf.clockRate);
    return { map, decoders: [dec] };
  }

  #startMedia(leg: LegInfo, o: OfferedStream, pair: BoundPair, p: Payloads): LegMedia {
    const { bus, metrics } = this.d;
    const { map, decoders } = p;
    const callId = this.callId;
    const stream = new RtpStream(
      map,
      {
        audio: (samples, sampleRate, tMs) => bus.emit('leg.audio', { legId: leg.legId, samples, sampleRate, tMs }),
        dtmf: (tMs, durationMs) => bus.emit('call.event', { callId, legId: leg.legId, kind: 'dtmf', tMs, data: { durationMs } }),
        reject: (parser, reason) => {
          if (parser === 'codec') metrics.decodeErrors.inc({ codec: reason });
          else metrics.badInput('rtp', reason);
        },
      },
      this.d.jitterMs,
    );
    const source = { latched: false, foreign: 0 };
    const receiver = new RtpReceiver(pair, stream, o.addr, {
      foreign: () => {
        source.foreign++;
        metrics.rtpDropped.inc({ reason: 'unexpected-source' });
        metrics.badInput('rtp', 'unexpected-source');
      },
      rtcp: () => {},
      latched: () => {
        source.latched = true;
        metrics.rtpLatched.inc();
      },
    }, undefined, this.d.latch && { ...this.d.latch, payloadTypes: new Set([o.codec!.pt, ...(o.dtmf ? [o.dtmf.pt] : [])]) });
    const media: LegMedia = { leg, offer: o, pair, receiver, stream, decoders, map, reported: { packets: 0, lost: 0 }, since: Date.now(), source };
    this.#keySrtp(media, o);
    return media;
  }

  /**
   * (Re)keys an SRTP leg from its offer: a new context when the SRC's key changes, our key kept
   * unless the suite changes (RFC 4568 §7.1.4). A plain-RTP offer removes SRTP from the leg.
   */
  #keySrtp(m: LegMedia, o: OfferedStream): void {
    if (!o.secure || !o.crypto) {
      m.srtp = undefined;
      m.receiver.unprotect = undefined;
      m.leg.srtp = undefined;
      return;
    }
    const prev = m.srtp;
    if (prev && prev.offered.suite === o.crypto.suite && prev.offered.key!.equals(o.crypto.key!) && prev.offered.salt!.equals(o.crypto.salt!)) return;
    const key = prev && prev.key.suite === o.crypto.suite ? prev.key : new SrtpKey(o.crypto.suite as SrtpSuite);
    const srtp = { key, offered: o.crypto, rx: new SrtpReceiver(o.crypto, key), authFailures: prev?.authFailures ?? 0 };
    m.srtp = srtp;
    m.leg.srtp = { suite: o.crypto.suite, authFailures: srtp.authFailures };
    const { metrics } = this.d;
    m.receiver.unprotect = (buf) => {
      const r = srtp.rx.unprotect(buf);
      if (r.ok) return r.packet;
      // Wrong key or tampering: counted and shown on the leg; the packet is dropped, the call goes on.
      if (r.reason === 'auth') {
        srtp.authFailures++;
        if (m.leg.srtp) m.leg.srtp.authFailures = srtp.authFailures;
        metrics.srtpAuthFailures.inc();
      }
      metrics.rtpDropped.inc({ reason: r.reason === 'auth' ? 'srtp-auth' : 'srtp-malformed' });
      metrics.badInput('srtp', r.reason);
      return undefined;
    };
  }

  async #reconfigure(m: LegMedia, o: OfferedStream): Promise<void> {
    const wasFlowing = flows(m.offer.direction);
    const isFlowing = flows(o.direction);
    if (o.codec!.name !== m.offer.codec!.name || o.codec!.pt !== m.offer.codec!.pt || o.codec!.clockRate !== m.offer.codec!.clockRate || o.dtmf?.pt !== m.offer.dtmf?.pt) {
      // Keep the old decoders until the stream has switched: in-flight packets may still use them.
      const { map, decoders } = await this.#payloads(o);
      for (const [pt, d] of m.map.decoders) if (!map.decoders.has(pt)) map.decoders.set(pt, d);
      for (const [pt, c] of m.map.events) if (!map.events.has(pt)) map.events.set(pt, c);
      m.stream.setPayloads(map);
      m.map = map;
      m.decoders.push(...decoders);
      m.leg.codec = o.codec!.name;
    }
    if (o.addr !== m.offer.addr || o.port !== m.offer.port) m.receiver.relatch(o.addr);
    this.#keySrtp(m, o);
    if (!wasFlowing && isFlowing) m.since = Date.now();
    if (wasFlowing !== isFlowing) {
      this.d.bus.emit('call.event', { callId: this.callId, legId: m.leg.legId, kind: isFlowing ? 'resume' : 'hold', tMs: Math.round(m.stream.positionMs) });
    }
    m.offer = o;
  }

  #applyMetadata(meta: RecordingMetadata): void {
    this.#meta = meta;
    const roles = assignRoles([...this.#media.keys()], meta, this.d.agentPattern);
    let changed = 0;
    for (const [label, m] of this.#media) {
      const r = roles.get(label);
      if (!r) continue;
      // The registry has no leg update yet: LegInfo is shared by reference, so patch it in place.
      if (r.role !== m.leg.role || r.participant?.aor !== m.leg.participant?.aor || r.participant?.name !== m.leg.participant?.name) {
        m.leg.role = r.role;
        m.leg.participant = r.participant;
        changed++;
      }
    }
    const first = [...this.#media.values()][0];
    this.d.bus.emit('call.event', { callId: this.callId, kind: 'metadata', tMs: Math.round(first?.stream.positionMs ?? 0), data: { legsChanged: changed } });
  }

  #stats(m: LegMedia): void {
    const q = m.stream.quality;
    const codec = m.offer.codec?.name ?? 'PCMU';
    const lossPct = q.expected > 0 ? ((q.lost + q.late) / q.expected) * 100 : 0;
    const mos = estimateMos(codec, lossPct, this.d.jitterMs + 20 + 2 * q.jitterMs);
    const stats = { packets: q.packets, lost: q.lost, duplicates: q.duplicates, late: q.late, jitterMs: round2(q.jitterMs), mos: round2(mos), latching: this.d.latch?.mode ?? 'strict', latched: m.source.latched, foreignDropped: m.source.foreign, ...(m.srtp ? { srtpAuthFailures: m.srtp.authFailures } : {}) };
    const { metrics } = this.d;
    metrics.rtpPackets.inc({ ingest: 'siprec' }, q.packets - m.reported.packets);
    metrics.rtpLost.inc({ ingest: 'siprec' }, Math.max(0, q.lost - m.reported.lost));
    m.reported = { packets: q.packets, lost: Math.max(q.lost, m.reported.lost) };
    if (q.packets > 0) {
      metrics.jitter.observe({ ingest: 'siprec' }, q.jitterMs / 1000);
      metrics.mos.observe({ ingest: 'siprec' }, mos);
    }
    this.d.bus.emit('leg.stats', { callId: this.callId, legId: m.leg.legId, stats });
  }

  #stopMedia(m: LegMedia): void {
    if (!this.#media.has(m.offer.label)) return;
    m.stream.drain(true);
    this.#stats(m);
    this.d.pool.release(m.pair);
    for (const d of m.decoders) d.free();
    this.#media.delete(m.offer.label);
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100;
