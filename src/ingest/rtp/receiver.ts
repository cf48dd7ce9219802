// Socket side of one leg: latches to the negotiated source and feeds RtpStream. RTCP on port+1
// is read and ignored (the SRC's reports say nothing we do not measure ourselves).
import type { BoundPair } from './port-pool.js';
import type { RtpStream } from './stream.js';

export interface ReceiverHooks {
  /** Packet from an address other than the negotiated/latched one: dropped. */
  foreign(): void;
  rtcp(): void;
  /** Latched to a source other than the SDP address (latch mode). */
  latched?(): void;
}

/**
 * Symmetric RTP: whether a source other than the SDP's may be taken. Bounded so that it cannot be
 * used to inject audio: only within `windowMs` of the leg's first packet, only a source `admits`
 * (sip.allow), only the negotiated payload types, and only one source (never a second one).
 */
export interface LatchPolicy {
  mode: 'latch' | 'strict';
  windowMs: number;
  admits(addr: string): boolean;
  payloadTypes?: ReadonlySet<number>;
}

/** SRTP unprotect (or any check) run on each packet from the accepted source; undefined drops it. */
export type Unprotect = (packet: Buffer) => Buffer | undefined;

export class RtpReceiver {
  /** Set for an SRTP leg: a packet that fails it neither reaches the stream nor latches a source. */
  unprotect: Unprotect | undefined;
  #expectAddr: string;
  #latchedPort = -1;
  #latchedRaw = '';
  #lastArrival = 0;
  #firstAt = -1;

  constructor(
    readonly pair: BoundPair,
    private stream: RtpStream,
    expectAddr: string,
    private readonly hooks: ReceiverHooks,
    private readonly now: () => number = Date.now,
    private readonly latch?: LatchPolicy,
  ) {
    this.#expectAddr = normalise(expectAddr);
    pair.rtp.on('message', (msg, rinfo) => {
      // Hot path: the latched source, compared as received (no normalising per packet).
      if (rinfo.port === this.#latchedPort && rinfo.address === this.#latchedRaw) {
        const pkt = this.unprotect ? this.unprotect(msg) : msg;
        if (!pkt) return;
        this.#lastArrival = this.now();
        this.stream.push(pkt, this.#lastArrival);
        return;
      }
      const addr = normalise(rinfo.address);
      const now = this.now();
      if (this.#firstAt < 0) this.#firstAt = now;
      if (this.#latchedPort >= 0) return this.hooks.foreign(); // never a second source
      // An SDP address of 0.0.0.0 / :: (or none) means "unknown yet": latch to the first sender.
      let moved = false;
      if (this.#expectAddr && addr !== this.#expectAddr) {
        const l = this.latch;
        if (!l || l.mode !== 'latch' || now - this.#firstAt > l.windowMs || !l.admits(addr)) return this.hooks.foreign();
        if (msg.length < 12 || msg[0] >> 6 !== 2 || (l.payloadTypes && !l.payloadTypes.has(msg[1] & 0x7f))) return this.hooks.foreign();
        moved = true;
      }
      const pkt = this.unprotect ? this.unprotect(msg) : msg;
      if (!pkt) return;
      this.#latchedPort = rinfo.port;
      this.#latchedRaw = rinfo.address;
      if (!this.#expectAddr || moved) this.#expectAddr = addr;
      if (moved) this.hooks.latched?.();
      this.#lastArrival = this.now();
      this.stream.push(pkt, this.#lastArrival);
    });
    pair.rtcp.on('message', () => this.hooks.rtcp());
    // A socket error (ICMP unreachable echoes etc.) must not take the process down.
    pair.rtp.on('error', () => {});
    pair.rtcp.on('error', () => {});
  }

  get port(): number {
    return this.pair.port;
  }

  get lastArrival(): number {
    return this.#lastArrival;
  }

  /** A re-INVITE may move the source (address or port): latch afresh. */
  relatch(expectAddr: string): void {
    this.#expectAddr = normalise(expectAddr);
    this.#latchedPort = -1;
    this.#latchedRaw = '';
    this.#firstAt = -1;
  }

  setStream(stream: RtpStream): void {
    this.stream = stream;
  }
}

function normalise(addr: string): string {
  if (!addr || addr === '0.0.0.0' || addr === '::') return '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
