// One leg's RTP media, independent of sockets: parse → latch SSRC → jitter buffer → decode →
// 20 ms frames on a gap-free timeline. Lost packets are concealed (last frame, fading) and silence
// suppression gaps are filled with zeros, so `tMs` always equals audio played so far.
import type { Decoder } from '../codecs/index.js';
import { JitterBuffer } from './jitter-buffer.js';
import { parseRtp, RtpParseError, type RtpPacket } from './packet.js';
import { RtpQuality } from './quality.js';

export interface StreamSinks {
  audio(samples: Int16Array, sampleRate: number, tMs: number): void;
  /** RFC 4733 event ended; the digit is deliberately not passed on. */
  dtmf(tMs: number, durationMs: number): void;
  /** Bounded reason for a rejected packet (counted by the caller). */
  reject(parser: 'rtp' | 'codec', reason: string): void;
}

export interface PayloadMap {
  /** Audio decoders by payload type. */
  decoders: Map<number, Decoder>;
  /** telephone-event payload type(s) with their clock rate. */
  events: Map<number, number>;
}

type Item = RtpPacket;

const FRAME_MS = 20;
const MAX_FILL_MS = 5000; // longer gaps (hold without RTP) jump the timeline instead of writing zeros
const PLC_MS = 60; // beyond this, concealment turns to silence

export class RtpStream {
  readonly quality = new RtpQuality();
  #jb: JitterBuffer<Item>;
  #ssrc = -1;
  #oldSsrc = -1;
  #lastTs = 0; // raw timestamp of the newest packet, and its extension
  #lastTsExt = 0;
  // Timeline: a packet's timestamp maps to sample position anchorPos + (tsExt - anchorTs) * rate/clock.
  #anchorTs = NaN;
  #anchorPos = 0;
  #decoder: Decoder | undefined;
  #rate = 8000;
  #frame = new Int16Array(160);
  #fill = 0; // samples in #frame
  #cursor = 0; // samples emitted + buffered in #frame
  #frameStart = 0; // position of #frame[0]
  #lastFrame: Int16Array | undefined;
  #plcRun = 0; // samples concealed in the current loss run
  #lastEventTs = -1;

  constructor(private payloads: PayloadMap, private sinks: StreamSinks, jitterMs: number) {
    this.#jb = new JitterBuffer<Item>(jitterMs);
  }

  /** New payload map after a re-INVITE; the next packet of a changed codec re-anchors the timeline. */
  setPayloads(p: PayloadMap): void {
    this.payloads = p;
  }

  /** One datagram from the latched source. */
  push(buf: Uint8Array, arrivalMs: number): void {
    let pkt;
    try {
      pkt = parseRtp(buf);
    } catch (err) {
      // RTCP multiplexed onto the RTP port (RFC 5761) is tolerated and ignored, not bad input.
      if (err instanceof RtpParseError) return err.reason === 'rtcp' ? undefined : this.sinks.reject('rtp', err.reason);
      throw err;
    }
    const clock = this.#clockOf(pkt.payloadType);
    if (clock === 0) return this.sinks.reject('rtp', 'unknown-payload-type');
    if (pkt.ssrc !== this.#ssrc) {
      if (pkt.ssrc === this.#oldSsrc) return this.sinks.reject('rtp', 'stale-ssrc');
      if (this.#ssrc >= 0) this.#newSource();
      this.#oldSsrc = this.#ssrc;
      this.#ssrc = pkt.ssrc;
      this.#lastTs = pkt.timestamp;
      this.#lastTsExt = pkt.timestamp;
    }
    const q = this.quality;
    const ext = q.extend(pkt.seq);
    const tsExt = this.#lastTsExt + ((pkt.timestamp - this.#lastTs) | 0);
    if (tsExt > this.#lastTsExt) {
      this.#lastTs = pkt.timestamp;
      this.#lastTsExt = tsExt;
    }
    if (this.#jb.tooFar(ext)) this.#jb.pop(this.#onRelease, true);
    const admit = this.#jb.push(ext, (tsExt / clock) * 1000, pkt);
    if (admit === 'duplicate') {
      q.duplicates++;
      return;
    }
    if (admit === 'late') {
      q.late++;
      q.onPacket(ext, pkt.timestamp, arrivalMs, clock, false);
      return;
    }
    q.onPacket(ext, pkt.timestamp, arrivalMs, clock, !this.payloads.events.has(pkt.payloadType));
    this.#jb.pop(this.#onRelease);
  }

  readonly #onRelease = (item: Item, tsMs: number, lost: number): void => this.#release(tsMs, item, lost);

  /** Releases everything buffered (idle timeout, end of stream) and pads the last frame. */
  drain(padFrame = false): void {
    this.#jb.pop(this.#onRelease, true);
    if (padFrame) this.#padFrame();
  }

  #padFrame(): void {
    if (this.#fill > 0) this.#write(new Int16Array(this.#frame.length - this.#fill));
  }

  /** Leg-relative time of the next sample to be produced. */
  get positionMs(): number {
    return (this.#cursor / this.#rate) * 1000;
  }

  #clockOf(pt: number): number {
    const dec = this.payloads.decoders.get(pt);
    if (dec) return dec.clockRate;
    return this.payloads.events.get(pt) ?? 0;
  }

  #newSource(): void {
    this.drain();
    this.#jb.reset();
    this.quality.resetSequence();
    this.#anchorTs = NaN; // the new source continues where the old one stopped
  }

  #release(tsMs: number, item: Item, lostBefore: number): void {
    const dec = this.payloads.decoders.get(item.payloadType);
    if (!dec) {
      if (this.payloads.events.has(item.payloadType)) this.#event(item, tsMs);
      return;
    }
    if (dec !== this.#decoder) this.#switchDecoder(dec);
    let pcm: Int16Array;
    try {
      pcm = dec.decode(item.payload);
    } catch {
      this.sinks.reject('codec', dec.name.toLowerCase());
      return;
    }
    const tsExt = (tsMs * dec.clockRate) / 1000;
    if (Number.isNaN(this.#anchorTs)) {
      this.#anchorTs = tsExt;
      this.#anchorPos = this.#cursor;
    }
    const pos = Math.round(this.#anchorPos + ((tsExt - this.#anchorTs) * this.#rate) / dec.clockRate);
    let gap = pos - this.#cursor;
    if (gap > (MAX_FILL_MS * this.#rate) / 1000) {
      // Long pause (hold, transfer): jump the timeline rather than write minutes of zeros.
      this.#padFrame();
      this.#cursor = pos;
      gap = 0;
    }
    if (gap > 0) this.#conceal(gap, lostBefore > 0);
    this.#plcRun = 0;
    const skip = gap < 0 ? Math.min(-gap, pcm.length) : 0; // overlap with what was already played
    if (skip < pcm.length) this.#write(skip ? pcm.subarray(skip) : pcm);
  }

  #switchDecoder(dec: Decoder): void {
    if (this.#decoder && dec.sampleRate !== this.#rate) {
      this.#padFrame();
      this.#cursor = Math.round((this.#cursor * dec.sampleRate) / this.#rate);
    }
    if (this.#decoder) this.#anchorTs = NaN;
    this.#decoder = dec;
    if (dec.sampleRate !== this.#rate || this.#frame.length !== (dec.sampleRate * FRAME_MS) / 1000) {
      this.#rate = dec.sampleRate;
      this.#frame = new Int16Array((this.#rate * FRAME_MS) / 1000);
      this.#fill = 0;
      this.#lastFrame = undefined;
    }
  }

  /** Fills `n` samples: a fading repeat of the last frame after loss, zeros for DTX gaps. */
  #conceal(n: number, lost: boolean): void {
    const out = new Int16Array(n);
    const last = this.#lastFrame;
    const plcMax = (PLC_MS * this.#rate) / 1000;
    if (lost && last) {
      for (let i = 0; i < n && this.#plcRun < plcMax; i++, this.#plcRun++) {
        const gain = 1 - this.#plcRun / plcMax;
        out[i] = last[this.#plcRun % last.length] * gain;
      }
    }
    this.#write(out);
  }

  #write(pcm: Int16Array): void {
    if (this.#fill === 0 && pcm.length === this.#frame.length) {
      // Fast path: a decoder's fresh, frame-sized output (see Decoder#decode) is emitted as is.
      this.#lastFrame = pcm;
      this.sinks.audio(pcm, this.#rate, (this.#cursor / this.#rate) * 1000);
      this.#cursor += pcm.length;
      return;
    }
    let i = 0;
    const frame = this.#frame;
    while (i < pcm.length) {
      if (this.#fill === 0) this.#frameStart = this.#cursor + i;
      const n = Math.min(frame.length - this.#fill, pcm.length - i);
      frame.set(pcm.subarray(i, i + n), this.#fill);
      this.#fill += n;
      i += n;
      if (this.#fill === frame.length) {
        this.#lastFrame = frame.slice();
        this.sinks.audio(this.#lastFrame, this.#rate, (this.#frameStart / this.#rate) * 1000);
        this.#fill = 0;
      }
    }
    this.#cursor += pcm.length;
  }

  #event(item: Item, tsMs: number): void {
    const p = item.payload;
    if (p.length < 4) return this.sinks.reject('rtp', 'short-event');
    if ((p[1] & 0x80) === 0) return; // not the end yet
    // The end packet is sent three times with the event's start timestamp: report it once.
    if (tsMs === this.#lastEventTs) return;
    this.#lastEventTs = tsMs;
    const clock = this.payloads.events.get(item.payloadType) ?? 8000;
    this.sinks.dtmf(this.positionMs, ((((p[2] << 8) | p[3]) / clock) * 1000));
  }
}
