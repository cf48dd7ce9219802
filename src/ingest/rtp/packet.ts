// RFC 3550 §5.1 RTP header parsing. Allocation-free apart from the payload view, because this
// runs once per packet per leg (50 packets/s × 2 legs × hundreds of calls).
import { EarshotError } from '../../errors.js';

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  ssrc: number;
  /** View into the datagram: no copy. */
  payload: Uint8Array;
}

/** Bounded reasons, used as the `reason` label of `badInput('rtp', reason)`. */
export type RtpRejectReason = 'short' | 'version' | 'csrc-truncated' | 'ext-truncated' | 'padding' | 'rtcp';

export class RtpParseError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_RTP';
  constructor(readonly reason: RtpRejectReason) {
    super('EARSHOT_ERR_RTP', undefined, { message: `bad RTP packet: ${reason}` });
    this.name = 'RtpParseError';
  }
}

/** Parses one datagram; throws RtpParseError (with a bounded reason) on anything malformed. */
export function parseRtp(buf: Uint8Array): RtpPacket {
  if (buf.length < 12) throw new RtpParseError('short');
  const b0 = buf[0];
  if (b0 >> 6 !== 2) throw new RtpParseError('version');
  const b1 = buf[1];
  const pt = b1 & 0x7f;
  // RTCP multiplexed on the RTP port (RFC 5761) uses PT 64–95 in this position: not media.
  if (pt >= 64 && pt <= 95) throw new RtpParseError('rtcp');
  let off = 12 + (b0 & 0x0f) * 4;
  if (off > buf.length) throw new RtpParseError('csrc-truncated');
  if (b0 & 0x10) {
    if (off + 4 > buf.length) throw new RtpParseError('ext-truncated');
    const words = (buf[off + 2] << 8) | buf[off + 3];
    off += 4 + words * 4;
    if (off > buf.length) throw new RtpParseError('ext-truncated');
  }
  let end = buf.length;
  if (b0 & 0x20) {
    const pad = buf[end - 1];
    if (pad === 0 || end - pad < off) throw new RtpParseError('padding');
    end -= pad;
  }
  return {
    payloadType: pt,
    marker: (b1 & 0x80) !== 0,
    seq: (buf[2] << 8) | buf[3],
    timestamp: ((buf[4] << 24) | (buf[5] << 16) | (buf[6] << 8) | buf[7]) >>> 0,
    ssrc: ((buf[8] << 24) | (buf[9] << 16) | (buf[10] << 8) | buf[11]) >>> 0,
    // A plain view: Buffer#subarray would build a Buffer per packet, measurably slower.
    payload: new Uint8Array(buf.buffer, buf.byteOffset + off, end - off),
  };
}

/** Builds an RTP packet (tests, fixtures, bench). */
export function buildRtp(p: { payloadType: number; seq: number; timestamp: number; ssrc: number; marker?: boolean; payload: Uint8Array; csrc?: number[]; extension?: Uint8Array; padding?: number }): Buffer {
  const csrc = p.csrc ?? [];
  const ext = p.extension;
  const pad = p.padding ?? 0;
  const extLen = ext ? 4 + Math.ceil(ext.length / 4) * 4 : 0;
  const buf = Buffer.alloc(12 + csrc.length * 4 + extLen + p.payload.length + pad);
  buf[0] = 0x80 | (pad ? 0x20 : 0) | (ext ? 0x10 : 0) | csrc.length;
  buf[1] = (p.marker ? 0x80 : 0) | p.payloadType;
  buf.writeUInt16BE(p.seq & 0xffff, 2);
  buf.writeUInt32BE(p.timestamp >>> 0, 4);
  buf.writeUInt32BE(p.ssrc >>> 0, 8);
  let off = 12;
  for (const c of csrc) {
    buf.writeUInt32BE(c >>> 0, off);
    off += 4;
  }
  if (ext) {
    buf.writeUInt16BE(0xbede, off);
    buf.writeUInt16BE(Math.ceil(ext.length / 4), off + 2);
    buf.set(ext, off + 4);
    off += extLen;
  }
  buf.set(p.payload, off);
  if (pad) buf[buf.length - 1] = pad;
  return buf;
}
