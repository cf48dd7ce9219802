// HEP v3 (EEP, sipcapture.org "HEP3 Network Protocol Specification"): every SIP message Earshot
// receives or sends, copied to a Homer capture server over UDP. Encoded by hand: a HEP3 packet is
// "HEP3", a 16-bit total length, then chunks of (vendor 16, type 16, length 16 incl. this 6-byte
// header, value). hep-js is not installed here and the format is a few dozen lines.
import dgram from 'node:dgram';
import net from 'node:net';
import { EarshotError } from '../../errors.js';

/** Generic chunk types (vendor 0x0000) used here. */
export const HEP_CHUNK = {
  ipFamily: 0x01, // uint8: 2 = IPv4, 10 = IPv6
  ipProto: 0x02, // uint8: 17 = UDP, 6 = TCP
  srcIp4: 0x03,
  dstIp4: 0x04,
  srcIp6: 0x05,
  dstIp6: 0x06,
  srcPort: 0x07,
  dstPort: 0x08,
  timeSec: 0x09,
  timeUsec: 0x0a,
  protoType: 0x0b, // uint8: 1 = SIP
  captureId: 0x0c, // uint32: the capture agent's id
  authKey: 0x0e, // string: the capture server's password
  payload: 0x0f,
  correlationId: 0x11, // string: here the SIP Call-ID
  nodeName: 0x13, // string: capture agent name
} as const;

export interface HepMessage {
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  transport: 'udp' | 'tcp';
  /** ms since epoch (microseconds from `usec` when given). */
  timeMs: number;
  usec?: number;
  captureId: number;
  password?: string;
  correlationId?: string;
  nodeName?: string;
  payload: Buffer;
}

const chunk = (type: number, value: Buffer): Buffer => {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(0x0000, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(6 + value.length, 4);
  return Buffer.concat([head, value]);
};
const u8 = (v: number) => Buffer.from([v & 0xff]);
const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};

/** 4 or 16 address bytes (an IPv4-mapped IPv6 address is sent as IPv4). */
function ipBytes(ip: string): { v6: boolean; bytes: Buffer } {
  const a = ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (net.isIPv4(a)) return { v6: false, bytes: Buffer.from(a.split('.').map(Number)) };
  if (!net.isIPv6(a)) return { v6: false, bytes: Buffer.alloc(4) }; // unknown: 0.0.0.0, the message still goes
  const [head, tail = ''] = a.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = a.includes('::') ? parts(tail) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return { v6: true, bytes: out };
}

/** One HEP v3 packet. Both addresses are taken as IPv6 when either is. */
export function encodeHep3(m: HepMessage): Buffer {
  let src = ipBytes(m.srcIp);
  let dst = ipBytes(m.dstIp);
  const v6 = src.v6 || dst.v6;
  // Mixed families: the IPv4 side as an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
  const mapped = (b: Buffer) => ({ v6: true, bytes: Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), b]) });
  if (v6 && !src.v6) src = mapped(src.bytes);
  if (v6 && !dst.v6) dst = mapped(dst.bytes);
  const sec = Math.floor(m.timeMs / 1000);
  const usec = m.usec ?? (m.timeMs % 1000) * 1000;
  const chunks = [
    chunk(HEP_CHUNK.ipFamily, u8(v6 ? 10 : 2)),
    chunk(HEP_CHUNK.ipProto, u8(m.transport === 'tcp' ? 6 : 17)),
    chunk(v6 ? HEP_CHUNK.srcIp6 : HEP_CHUNK.srcIp4, src.bytes),
    chunk(v6 ? HEP_CHUNK.dstIp6 : HEP_CHUNK.dstIp4, dst.bytes),
    chunk(HEP_CHUNK.srcPort, u16(m.srcPort)),
    chunk(HEP_CHUNK.dstPort, u16(m.dstPort)),
    chunk(HEP_CHUNK.timeSec, u32(sec)),
    chunk(HEP_CHUNK.timeUsec, u32(usec)),
    chunk(HEP_CHUNK.protoType, u8(1)),
    chunk(HEP_CHUNK.captureId, u32(m.captureId)),
    ...(m.password ? [chunk(HEP_CHUNK.authKey, Buffer.from(m.password, 'utf8'))] : []),
    ...(m.correlationId ? [chunk(HEP_CHUNK.correlationId, Buffer.from(m.correlationId, 'utf8'))] : []),
    ...(m.nodeName ? [chunk(HEP_CHUNK.nodeName, Buffer.from(m.nodeName, 'utf8'))] : []),
    chunk(HEP_CHUNK.payload, m.payload),
  ];
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(6);
  head.write('HEP3', 0, 'latin1');
  head.writeUInt16BE(6 + body.length, 4);
  return Buffer.concat([head, body]);
}

/** A malformed HEP packet (EARSHOT_ERR_BAD_INPUT). */
export class HepDecodeError extends EarshotError {
  constructor(detail: string) {
    super('EARSHOT_ERR_BAD_INPUT', `HEP3: ${detail}`);
  }
}

const ip4 = (b: Buffer) => [...b.subarray(0, 4)].join('.');
const ip6 = (b: Buffer) => Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');

/** Parses a HEP v3 packet (for tests and troubleshooting); unknown chunks are kept by type. */
export function decodeHep3(buf: Buffer): HepMessage & { chunks: Map<number, Buffer> } {
  if (buf.length < 6 || buf.toString('latin1', 0, 4) !== 'HEP3') throw new HepDecodeError('not a HEP3 packet');
  const total = buf.readUInt16BE(4);
  if (total > buf.length || total < 6) throw new HepDecodeError('HEP3 length past the datagram');
  const chunks = new Map<number, Buffer>();
  for (let at = 6; at < total; ) {
    if (at + 6 > total) throw new HepDecodeError('truncated chunk header');
    const vendor = buf.readUInt16BE(at);
    const type = buf.readUInt16BE(at + 2);
    const len = buf.readUInt16BE(at + 4);
    if (len < 6 || at + len > total) throw new HepDecodeError('bad chunk length');
    if (vendor === 0) chunks.set(type, buf.subarray(at + 6, at + len));
    at += len;
  }
  // Fixed-size chunks must be at least their size (a short one would read past its value).
  const SIZE: Record<number, number> = { 0x01: 1, 0x02: 1, 0x03: 4, 0x04: 4, 0x05: 16, 0x06: 16, 0x07: 2, 0x08: 2, 0x09: 4, 0x0a: 4, 0x0c: 4 };
  const need = (t: number) => {
    const c = chunks.get(t);
    if (!c) throw new HepDecodeError(`chunk 0x${t.toString(16)} missing`);
    if (c.length < (SIZE[t] ?? 0)) throw new HepDecodeError(`chunk 0x${t.toString(16)} too short`);
    return c;
  };
  const v6 = need(HEP_CHUNK.ipFamily)[0] === 10;
  const str = (t: number) => chunks.get(t)?.toString('utf8');
  return {
    srcIp: v6 ? ip6(need(HEP_CHUNK.srcIp6)) : ip4(need(HEP_CHUNK.srcIp4)),
    dstIp: v6 ? ip6(need(HEP_CHUNK.dstIp6)) : ip4(need(HEP_CHUNK.dstIp4)),
    srcPort: need(HEP_CHUNK.srcPort).readUInt16BE(0),
    dstPort: need(HEP_CHUNK.dstPort).readUInt16BE(0),
    transport: need(HEP_CHUNK.ipProto)[0] === 6 ? 'tcp' : 'udp',
    timeMs: need(HEP_CHUNK.timeSec).readUInt32BE(0) * 1000 + Math.floor(need(HEP_CHUNK.timeUsec).readUInt32BE(0) / 1000),
    usec: need(HEP_CHUNK.timeUsec).readUInt32BE(0),
    captureId: need(HEP_CHUNK.captureId).readUInt32BE(0),
    password: str(HEP_CHUNK.authKey),
    correlationId: str(HEP_CHUNK.correlationId),
    nodeName: str(HEP_CHUNK.nodeName),
    payload: need(HEP_CHUNK.payload),
    chunks,
  };
}

export interface HepOptions {
  address: string;
  port: number;
  id: number;
  password?: string;
}

/**
 * Sends HEP over UDP, fire and forget: a Homer that is down or unreachable costs a counted send
 * error, never a SIP message. A message too large for one HEP packet (64 KiB) is skipped, counted.
 */
export class HepSender {
  readonly #sock: dgram.Socket;
  #closed = false;

  constructor(private readonly o: HepOptions, private readonly onError: (reason: 'send' | 'oversized') => void = () => {}) {
    this.#sock = dgram.createSocket(net.isIPv6(o.address) ? 'udp6' : 'udp4');
    this.#sock.on('error', () => onError('send'));
    this.#sock.unref();
  }

  send(m: Omit<HepMessage, 'captureId' | 'password' | 'nodeName'>): void {
    if (this.#closed) return;
    // A UDP datagram holds 65507 bytes; the chunks before the payload take well under 512.
    if (m.payload.length > 65507 - 512) return this.onError('oversized');
    const pkt = encodeHep3({ ...m, captureId: this.o.id, password: this.o.password, nodeName: 'earshot' });
    this.#sock.send(pkt, this.o.port, this.o.address, (err) => {
      if (err) this.onError('send');
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((r) => this.#sock.close(() => r()));
  }
}
