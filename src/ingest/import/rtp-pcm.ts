import { ALAW, ULAW } from './g711.js';
import type { Datagram } from './net.js';
import type { Dialog, DialogTracker } from './sip-dialogs.js';

// RTP (RFC 3550) of captured calls → one 8 kHz PCM track per dialog side. Samples are placed by
// RTP timestamp from an anchor taken at each SSRC's first packet (capture time since the INVITE),
// so reordering and duplicates land in the right place, losses stay silent, and an SSRC change
// (re-INVITE, transfer) re-anchors instead of shifting the rest of the call.

const RATE = 8000;
const MAX_SAMPLES = RATE * 3600 * 3; // 3 h per leg: beyond that a timestamp is nonsense

/** RFC 3550 receiver statistics of one SSRC (sequence extension, loss, interarrival jitter). */
class SsrcStats {
  #base = -1;
  #max = 0; // extended highest sequence number
  readonly #seen = new Set<number>();
  received = 0;
  duplicates = 0;
  jitter = 0; // in timestamp units
  #lastTransit: number | undefined;

  add(seq: number, ts: number, arrivalMs: number): void {
    let ext = seq;
    if (this.#base < 0) {
      this.#base = seq;
      this.#max = seq;
    } else {
      // Pick the extension (cycle) nearest the highest seen so far: handles wrap and reordering.
      const cycle = this.#max - (this.#max & 0xffff);
      ext = [cycle - 0x10000 + seq, cycle + seq, cycle + 0x10000 + seq].reduce((a, b) => (Math.abs(b - this.#max) < Math.abs(a - this.#max) ? b : a));
      if (ext > this.#max) this.#max = ext;
    }
    if (this.#seen.has(ext)) {
      this.duplicates++;
      return;
    }
    this.#seen.add(ext);
    this.received++;
    const transit = (arrivalMs * RATE) / 1000 - ts;
    if (this.#lastTransit !== undefined) this.jitter += (Math.abs(transit - this.#lastTransit) - this.jitter) / 16;
    this.#lastTransit = transit;
  }

  get lost(): number {
    return Math.max(0, this.#max - this.#base + 1 - this.received);
  }
}

export class PcmTrack {
  #buf = new Int16Array(RATE * 30);
  #len = 0;
  codec: 'pcmu' | 'pcma' | undefined;
  readonly ssrcs = new Map<number, SsrcStats>();

  /** Network statistics of the leg as `leg.stats` carries them. */
  get stats(): { packets: number; lost: number; duplicates: number; jitterMs: number } {
    const all = [...this.ssrcs.values()];
    return {
      packets: all.reduce((n, s) => n + s.received + s.duplicates, 0),
      lost: all.reduce((n, s) => n + s.lost, 0),
      duplicates: all.reduce((n, s) => n + s.duplicates, 0),
      jitterMs: Math.round((Math.max(0, ...all.map((s) => s.jitter)) * 1000 * 100) / RATE) / 100,
    };
  }

  write(pos: number, payload: Buffer, table: Int16Array): void {
    const end = pos + payload.length;
    if (end > this.#buf.length) {
      const grown = new Int16Array(Math.max(end, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    for (let i = 0; i < payload.length; i++) this.#buf[pos + i] = table[payload[i]];
    if (end > this.#len) this.#len = end;
  }

  get pcm(): Int16Array {
    return this.#buf.subarray(0, this.#len);
  }
}

export interface RtpStats {
  packets: number;
  unsupportedCodec: number;
  malformed: number;
  unmatched: number;
}

export interface CallTracks {
  dialog: Dialog;
  /** Audio the caller sent (received by the callee), and the callee's. */
  caller: PcmTrack;
  callee: PcmTrack;
  /** RFC 4733 key presses (never the digit): which side, and when in the call. */
  dtmf: { side: 'caller' | 'callee'; tMs: number }[];
}

export function decodeRtp(tracker: DialogTracker, datagrams: Datagram[]): { calls: CallTracks[]; stats: RtpStats } {
  const stats: RtpStats = { packets: 0, unsupportedCodec: 0, malformed: 0, unmatched: 0 };
  const byDialog = new Map<Dialog, CallTracks>();
  const anchors = new Map<string, { ts0: number; pos0: number }>();
  const dtmfSeen = new Set<string>();
  for (const d of datagrams) {
    const to = tracker.receiverOf(d.dst, d.tsMs);
    if (!to) {
      stats.unmatched++;
      continue;
    }
    const p = d.payload;
    if (p.length < 12 || p[0] >> 6 !== 2) {
      stats.malformed++;
      continue;
    }
    let off = 12 + (p[0] & 0x0f) * 4;
    if (p[0] & 0x10) off += 4 + (p.length >= off + 4 ? p.readUInt16BE(off + 2) * 4 : 0);
    const end = p[0] & 0x20 ? p.length - p[p.length - 1] : p.length;
    if (off > end) {
      stats.malformed++;
      continue;
    }
    const pt = p[1] & 0x7f;
    const codec = to.dialog.payloadTypes.get(pt) ?? (pt === 0 ? 'pcmu' : pt === 8 ? 'pcma' : 'other');
    if (codec === 'other') {
      stats.unsupportedCodec++;
      continue;
    }
    let call = byDialog.get(to.dialog);
    if (!call) byDialog.set(to.dialog, (call = { dialog: to.dialog, caller: new PcmTrack(), callee: new PcmTrack(), dtmf: [] }));
    const sender = to.receiver === 'callee' ? 'caller' : 'callee';
    const ts = p.readUInt32BE(4);
    if (codec === 'telephone-event') {
      // One key press is many packets sharing a timestamp (plus 3 end repeats): count the first.
      const ev = `${to.dialog.index}:${sender}:${p.readUInt32BE(8)}:${ts}`;
      if (!dtmfSeen.has(ev) && end - off >= 4) {
        dtmfSeen.add(ev);
        call.dtmf.push({ side: sender, tMs: Math.max(0, Math.round(d.tsMs - to.dialog.startMs)) });
      }
      continue;
    }
    // What the callee receives is the caller's voice, and the other way round.
    const track = sender === 'caller' ? call.caller : call.callee;
    const key = `${to.dialog.index}:${to.receiver}:${p.readUInt32BE(8)}`;
    let a = anchors.get(key);
    if (!a) anchors.set(key, (a = { ts0: ts, pos0: Math.max(0, Math.round(((d.tsMs - to.dialog.startMs) * RATE) / 1000)) }));
    const pos = a.pos0 + ((ts - a.ts0) | 0); // signed 32-bit difference survives wrap-around
    if (pos < 0 || pos + (end - off) > MAX_SAMPLES) {
      stats.malformed++;
      continue;
    }
    track.codec ??= codec;
    const ssrc = p.readUInt32BE(8);
    let st = track.ssrcs.get(ssrc);
    if (!st) track.ssrcs.set(ssrc, (st = new SsrcStats()));
    st.add(p.readUInt16BE(2), ts, d.tsMs);
    track.write(pos, p.subarray(off, end), codec === 'pcmu' ? ULAW : ALAW);
    stats.packets++;
  }
  const calls = [...byDialog.values()].sort((x, y) => x.dialog.index - y.dialog.index);
  return { calls, stats };
}
