// The SRS core, independent of how SIP arrives (embedded stack or drachtio): offer in, answer out.
// It owns admission (allow-list, call limit), body/SDP/metadata parsing and the recording sessions.
import net from 'node:net';
import type { Logger } from 'pino';
import type { PipelineBus } from '../../call/events.js';
import type { EndReason } from '../../call/types.js';
import type { CallRegistry } from '../../call/registry.js';
import type { BoundPair, PortPool } from '../rtp/port-pool.js';
import { BodyError, parseSiprecBody } from './body.js';
import { MetadataError, parseMetadata, type RecordingMetadata } from './metadata.js';
import type { IngestMetrics } from './metrics.js';
import { parseOffer, SdpError, type OfferedStream, type SrtpPolicy } from './sdp.js';
import { delayedOffer } from './offer.js';
import type { RoleRules } from './roles.js';
import { NothingDecodableError, OfferCancelledError, RecordingSession } from './session.js';

export interface OfferRequest {
  /** SIP Call-ID: the call's externalId and the session key. */
  callId: string;
  /** Source IP of the request (checked against config.sip.allow). */
  source: string;
  /** Our address as the SRC reached it; used in the SDP answer unless rtp.advertise is set. */
  localAddress: string;
  contentType?: string;
  body: string;
  /** False for a re-INVITE (the request carried a To tag). */
  initial: boolean;
}

export interface CoreResponse {
  status: number;
  reason: string;
  headers?: Record<string, string>;
  /** SDP answer for 2xx, or our offer when `offer` is set (delayed offer). */
  sdp?: string;
  /** The 2xx carries our offer: the SRC's answer comes in the ACK (RFC 3261 §13.2.1). */
  offer?: boolean;
  /** On a rejection, why (a bounded label, as counted in earshot_bad_input_total): for the SIP log. */
  why?: string;
}

/** A 2xx with our offer waiting for the SRC's answer in the ACK. */
type AwaitingAck =
  | { kind: 'initial'; req: OfferRequest; meta: RecordingMetadata | undefined; pairs: BoundPair[] }
  | { kind: 'reinvite'; meta: RecordingMetadata | undefined };

export interface CoreOptions {
  /** Sources allowed besides the local host (127.0.0.1, ::1, always allowed); empty = local host only. */
  allow: string[];
  /** m-lines recorded per call; those past it are refused with port 0 (never bound). Default 4. */
  maxStreams?: number;
  /** A call whose flowing streams bring no RTP for this long is ended (lost BYE). Default 60 s. */
  inactivityMs?: number;
  advertise: string;
  jitterMs: number;
  /** Internal-extension AOR pattern for the role rule (see roles.ts). */
  agentPattern?: RegExp | RoleRules;
  retryAfterSeconds?: number;
  /** rtp.srtp (default optional). */
  srtp?: SrtpPolicy;
  /** rtp.latching / rtp.latchWindowMs (default latch, 2000 ms). */
  latching?: 'latch' | 'strict';
  latchWindowMs?: number;
}

export interface CoreDeps {
  log: Logger;
  bus: PipelineBus;
  calls: CallRegistry;
  metrics: IngestMetrics;
  pool: PortPool;
}

const reply = (status: number, reason: string, why: string, headers?: Record<string, string>): CoreResponse => ({ status, reason, why, headers });

export class SrsCore {
  readonly #sessions = new Map<string, RecordingSession>();
  readonly #pending = new Map<string, { cancelled: boolean }>();
  readonly #queue = new Map<string, Promise<unknown>>();
  readonly #awaiting = new Map<string, AwaitingAck>();
  readonly #allow = new net.BlockList();
  readonly #timer: NodeJS.Timeout;
  /**
   * Set by the SIP front: the core ended a dialog on its own (RTP inactivity), so the front sends
   * the SRC a BYE and forgets the dialog.
   */
  onExpired: (callId: string) => void = () => {};
  /** The site cannot take more calls (a cluster's speech nodes are full): OPTIONS answers 503 so the SBC fails over. */
  atCapacity: () => boolean = () => false;
  get retryAfterSeconds(): number {
    return this.o.retryAfterSeconds ?? 30;
  }

  constructor(private readonly d: CoreDeps, private readonly o: CoreOptions) {
    // The local host (127.0.0.1, ::1) is always allowed: a co-located SBC or drachtio-server.
    // Every other source, other 127/8 addresses included, must be listed.
    this.#allow.addAddress('127.0.0.1', 'ipv4');
    this.#allow.addAddress('::1', 'ipv6');
    for (const cidr of o.allow) {
      const [addr, bits] = cidr.split('/');
      const type = addr.includes(':') ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.#allow.addAddress(addr, type);
      else this.#allow.addSubnet(addr, Number(bits), type);
    }
    const idleMs = Math.max(2 * o.jitterMs, 100);
    const inactivityMs = o.inactivityMs ?? 60_000;
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const [callId, s] of this.#sessions) {
        s.tick(now, idleMs);
        if (s.inactiveFor(now) >= inactivityMs) {
          this.d.metrics.badInput('rtp', 'inactivity');
          this.d.log.warn({ callId: s.callId, seconds: inactivityMs / 1000 }, 'no RTP on a SIPREC call; ending it (BYE lost?)');
          this.bye(callId, 'interrupted', 'rtp-inactivity');
          this.onExpired(callId);
        }
      }
    }, 50);
    this.#timer.unref();
  }

  get activeSessions(): number {
    return this.#sessions.size;
  }

  /** Calls of a dialog, for tests and the fronts' dialog checks. */
  session(callId: string): RecordingSession | undefined {
    return this.#sessions.get(callId);
  }

  admits(source: string): boolean {
    const a = source.startsWith('::ffff:') ? source.slice(7) : source;
    if (net.isIP(a) === 0) return false;
    return this.#allow.check(a, a.includes(':') ? 'ipv6' : 'ipv4');
  }

  /** INVITE or re-INVITE. Never throws: every failure is a SIP status. */
  invite(req: OfferRequest): Promise<CoreResponse> {
    // A CANCEL may come before the offer is even looked at: be cancellable from now on.
    const pending = req.initial && !this.#sessions.has(req.callId) ? { cancelled: false } : undefined;
    if (pending) this.#pending.set(req.callId, pending);
    // One offer at a time per dialog: a re-INVITE waits for the INVITE before it.
    const prev = this.#queue.get(req.callId) ?? Promise.resolve();
    const next = prev.then(() => this.#invite(req)).catch((err: unknown) => {
      this.d.log.error({ err }, 'SIPREC offer failed');
      return reply(500, 'Server Internal Error', 'internal');
    });
    this.#queue.set(req.callId, next);
    void next.finally(() => {
      if (this.#queue.get(req.callId) === next) this.#queue.delete(req.callId);
      if (pending && this.#pending.get(req.callId) === pending) this.#pending.delete(req.callId);
    });
    return next;
  }

  /** CANCEL of an INVITE still being answered: true if there was one (it then answers 487). */
  cancel(callId: string): boolean {
    const p = this.#pending.get(callId);
    if (!p) return false;
    p.cancelled = true;
    return true;
  }

  /** BYE (either side) or dialog failure; false when the dialog is unknown (481). */
  bye(callId: string, state: 'ended' | 'interrupted' = 'ended', reason: EndReason = 'bye'): boolean {
    const w = this.#awaiting.get(callId);
    this.#awaiting.delete(callId);
    if (w?.kind === 'initial') {
      for (const p of w.pairs) this.d.pool.release(p);
      return true;
    }
    const s = this.#sessions.get(callId);
    if (!s) return false;
    this.#sessions.delete(callId);
    s.close(state, reason);
    this.#gauge();
    return true;
  }

  close(): void {
    clearInterval(this.#timer);
    for (const id of [...this.#awaiting.keys()]) this.bye(id, 'interrupted', 'shutdown');
    for (const id of [...this.#sessions.keys()]) this.bye(id, 'interrupted', 'shutdown');
  }

  async #invite(req: OfferRequest): Promise<CoreResponse> {
    const { metrics } = this.d;
    if (!this.admits(req.source)) {
      metrics.badInput('sip', 'forbidden-source');
      return reply(403, 'Forbidden', 'forbidden-source');
    }
    let body;
    try {
      body = parseSiprecBody(req.contentType, req.body);
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      metrics.badInput('sip', `body-${err.reason}`);
      return reply(400, 'Bad Request Body', `body-${err.reason}`);
    }
    let meta: RecordingMetadata | undefined;
    if (body.metadata !== undefined) {
      try {
        meta = parseMetadata(body.metadata);
      } catch (err) {
        if (!(err instanceof MetadataError)) throw err;
        // Recording matters more than names: go on with positional roles.
        metrics.badInput('rs-metadata', err.reason);
      }
    }
    let offer: OfferedStream[] | undefined;
    if (body.sdp !== undefined) {
      try {
        offer = parseOffer(body.sdp, this.o.srtp ?? 'optional');
      } catch (err) {
        if (!(err instanceof SdpError)) throw err;
        metrics.badInput('sdp', err.reason);
        return reply(err.reason === 'no-media' ? 488 : 400, err.reason === 'no-media' ? 'Not Acceptable Here' : 'Bad SDP', `sdp-${err.reason}`);
      }
      for (const o of offer) {
        for (const reason of o.badCrypto) metrics.badInput('sdp', `crypto-${reason}`);
        if (o.refusal) metrics.badInput('sdp', o.refusal);
      }
      if (!offer.some((o) => o.type === 'audio' && o.port !== 0)) {
        metrics.badInput('sdp', 'no-audio');
        return reply(488, 'Not Acceptable Here', 'no-audio');
      }
      if (!offer.some((o) => o.codec)) {
        metrics.badInput('sdp', 'no-codec');
        return reply(488, 'Not Acceptable Here', 'no-codec');
      }
    }
    const existing = this.#sessions.get(req.callId);
    // A metadata-only re-INVITE (RFC 7866 §7.1.2) keeps its old answer; an empty one is a delayed offer.
    if (!offer && (existing ? body.metadata === undefined : req.initial)) return this.#offerFirst(req, meta, existing);
    if (existing) {
      try {
        return { status: 200, reason: 'OK', sdp: await existing.update(offer, meta) };
      } catch (err) {
        if (err instanceof NothingDecodableError) return reply(488, 'Not Acceptable Here', 'nothing-decodable');
        if ((err as { code?: string }).code === 'EARSHOT_ERR_RTP_PORTS') return reply(500, 'No RTP Ports', 'rtp-ports', { 'Retry-After': '5' });
        throw err;
      }
    }
    if (!req.initial) return reply(481, 'Call/Transaction Does Not Exist', 'no-dialog');
    if (!offer) {
      metrics.badInput('sdp', 'missing');
      return reply(488, 'Not Acceptable Here', 'sdp-missing');
    }
    return this.#open(req, offer, meta);
  }

  /**
   * Delayed offer (an INVITE or re-INVITE without SDP, Cisco CUBE's default): the 2xx carries our
   * offer, recvonly with the codecs we decode; the SRC's answer arrives in the ACK (see ack()).
   * An initial one binds its ports now (one per stream the metadata names, else two).
   */
  async #offerFirst(req: OfferRequest, meta: RecordingMetadata | undefined, existing: RecordingSession | undefined): Promise<CoreResponse> {
    if ((this.o.srtp ?? 'optional') === 'required') {
      // Our offer is plain RTP/AVP: an SRC that must use SRTP has to send the offer itself.
      this.d.metrics.badInput('sdp', 'delayed-offer-srtp-required');
      return reply(488, 'Not Acceptable Here', 'delayed-offer-srtp-required');
    }
    const addr = this.o.advertise || req.localAddress;
    if (existing) {
      this.#awaiting.set(req.callId, { kind: 'reinvite', meta });
      return { status: 200, reason: 'OK', sdp: existing.offer(), offer: true };
    }
    const labels = [...new Set((meta?.participants ?? []).flatMap((p) => p.sends))].slice(0, this.o.maxStreams ?? 4);
    if (labels.length === 0) labels.push('1', '2');
    let pairs: BoundPair[];
    try {
      pairs = await this.d.pool.allocate(labels.length);
    } catch (err) {
      if ((err as { code?: string }).code === 'EARSHOT_ERR_RTP_PORTS') return reply(503, 'No RTP Ports', 'rtp-ports', { 'Retry-After': String(this.o.retryAfterSeconds ?? 30) });
      throw err;
    }
    const pending = this.#pending.get(req.callId);
    if (pending?.cancelled) {
      for (const p of pairs) this.d.pool.release(p);
      this.d.metrics.cancelled.inc();
      return reply(487, 'Request Terminated', 'cancelled');
    }
    this.#awaiting.set(req.callId, { kind: 'initial', req, meta, pairs });
    const sdp = delayedOffer(labels.map((label, i) => ({ label, port: pairs[i].port })), addr, Math.floor(Math.random() * 1e9), 0);
    return { status: 200, reason: 'OK', sdp, offer: true };
  }

  /** True while a 2xx with our offer waits for the SRC's answer in its ACK. */
  awaitsAnswer(callId: string): boolean {
    return this.#awaiting.has(callId);
  }

  /**
   * The ACK of a delayed-offer 2xx, with the SRC's SDP answer. False when the answer is missing,
   * bad or records nothing: the dialog is then ended (the front sends BYE, RFC 3261 §13.3.1.4).
   */
  async ack(callId: string, contentType: string | undefined, body: string): Promise<boolean> {
    const w = this.#awaiting.get(callId);
    if (!w) return true;
    this.#awaiting.delete(callId);
    const fail = (reason: string) => {
      this.d.metrics.badInput('sdp', reason);
      if (w.kind === 'initial') for (const p of w.pairs) this.d.pool.release(p);
      else this.bye(callId, 'interrupted', 'protocol-error');
      return false;
    };
    let answer: OfferedStream[];
    try {
      const sdp = parseSiprecBody(contentType, body).sdp;
      if (sdp === undefined) return fail('ack-without-answer');
      answer = parseOffer(sdp, this.o.srtp ?? 'optional');
    } catch (err) {
      if (!(err instanceof BodyError) && !(err instanceof SdpError)) throw err;
      return fail('ack-bad-answer');
    }
    if (!answer.some((o) => o.codec)) return fail('no-codec');
    if (w.kind === 'reinvite') {
      const s = this.#sessions.get(callId);
      if (!s) return false;
      try {
        await s.update(answer, w.meta);
        return true;
      } catch (err) {
        if (err instanceof NothingDecodableError) return fail('no-codec');
        throw err;
      }
    }
    const r = await this.#open(w.req, answer, w.meta, w.pairs);
    if (r.status !== 200) this.d.log.warn({ status: r.status }, 'delayed-offer SIPREC answer could not be recorded; ending the dialog');
    return r.status === 200;
  }

  async #open(req: OfferRequest, offer: OfferedStream[], meta: RecordingMetadata | undefined, pre?: BoundPair[]): Promise<CoreResponse> {
    const pending = this.#pending.get(req.callId) ?? { cancelled: false };
    try {
      // A CANCEL that wins the race leaves nothing behind: no call, no row, no 'interrupted'
      // recording polluting KPIs (the session checks just before it opens the call).
      const { session, sdp } = await RecordingSession.open(
        { ...this.d, jitterMs: this.o.jitterMs, agentPattern: this.o.agentPattern, maxStreams: this.o.maxStreams ?? 4, source: req.source.replace(/^::ffff:/, ''), latch: { mode: this.o.latching ?? 'latch', windowMs: this.o.latchWindowMs ?? 2000, admits: (a: string) => this.admits(a) } },
        req.callId,
        offer,
        meta,
        this.o.advertise || req.localAddress,
        () => pending.cancelled,
        pre,
      );
      this.#sessions.set(req.callId, session);
      this.#gauge();
      return { status: 200, reason: 'OK', sdp };
    } catch (err) {
      const code = (err as { code?: string }).code;
      const retry = String(this.o.retryAfterSeconds ?? 30);
      if (err instanceof OfferCancelledError) {
        this.d.metrics.cancelled.inc();
        return reply(487, 'Request Terminated', 'cancelled');
      }
      if (code === 'EARSHOT_ERR_CALL_LIMIT') return reply(503, 'Call Limit Reached', 'call-limit', { 'Retry-After': retry });
      if (code === 'EARSHOT_ERR_RTP_PORTS') return reply(503, 'No RTP Ports', 'rtp-ports', { 'Retry-After': retry });
      if (err instanceof NothingDecodableError) return reply(488, 'Not Acceptable Here', 'nothing-decodable');
      throw err;
    }
  }

  #gauge(): void {
    this.d.metrics.callsActive.set({ ingest: 'siprec' }, this.#sessions.size);
  }
}
