import { ImportFormatError } from './format.js';

// pcap and pcapng containers, read from memory. Written out rather than taken from npm: the
// maintained parsers are stream-based, pcap-only or pcapng-only, and the two formats together
// are this page. Only what a SPAN capture of SIP + RTP needs: packets, link type, timestamps.

export interface Packet {
  /** Capture time, epoch ms (fractional). */
  tsMs: number;
  linktype: number;
  data: Buffer;
}

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_IDB = 0x00000001;
const PCAPNG_SPB = 0x00000003;
const PCAPNG_EPB = 0x00000006;

export function isCaptureMagic(head: Buffer): boolean {
  if (head.length < 4) return false;
  const be = head.readUInt32BE(0);
  return be === 0xa1b2c3d4 || be === 0xd4c3b2a1 || be === 0xa1b23c4d || be === 0x4d3cb2a1 || be === PCAPNG_SHB;
}

export function* readPackets(buf: Buffer): Generator<Packet> {
  if (buf.length >= 4 && buf.readUInt32BE(0) === PCAPNG_SHB) yield* readPcapng(buf);
  else yield* readPcap(buf);
}

function* readPcap(buf: Buffer): Generator<Packet> {
  if (buf.length < 24) throw new ImportFormatError('bad-capture', 'pcap header cut off');
  const magicBE = buf.readUInt32BE(0);
  const le = magicBE === 0xd4c3b2a1 || magicBE === 0x4d3cb2a1;
  const nano = magicBE === 0xa1b23c4d || magicBE === 0x4d3cb2a1;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20) & 0x0fffffff;
  let pos = 24;
  while (pos + 16 <= buf.length) {
    const sec = u32(pos);
    const frac = u32(pos + 4);
    const incl = u32(pos + 8);
    if (pos + 16 + incl > buf.length) break; // a capture cut mid-packet: keep what came before
    yield { tsMs: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3), linktype, data: buf.subarray(pos + 16, pos + 16 + incl) };
    pos += 16 + incl;
  }
}

function* readPcapng(buf: Buffer): Generator<Packet> {
  let le = true;
  const ifaces: { linktype: number; unitsPerSec: number }[] = [];
  let pos = 0;
  while (pos + 12 <= buf.length) {
    const type = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
    if (type === PCAPNG_SHB) {
      const bom = buf.readUInt32LE(pos + 8);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new ImportFormatError('bad-capture', 'pcapng byte-order magic not recognised');
      ifaces.length = 0; // interface ids restart per section
    }
    const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const len = u32(pos + 4);
    if (len < 12 || len % 4 !== 0 || pos + len > buf.length) break;
    const body = pos + 8;
    if (type === PCAPNG_IDB) {
      const linktype = le ? buf.readUInt16LE(body) : buf.readUInt16BE(body);
      ifaces.push({ linktype, unitsPerSec: tsResolution(buf, body + 8, pos + len - 4, le) });
    } else if (type === PCAPNG_EPB) {
      const iface = ifaces[u32(body)];
      const caplen = u32(body + 12);
      if (iface && body + 20 + caplen <= pos + len) {
        const ts = u32(body + 4) * 2 ** 32 + u32(body + 8);
        yield { tsMs: (ts / iface.unitsPerSec) * 1000, linktype: iface.linktype, data: buf.subarray(body + 20, body + 20 + caplen) };
      }
    } else if (type === PCAPNG_SPB) {
      const iface = ifaces[0];
      const orig = u32(body);
      if (iface) yield { tsMs: 0, linktype: iface.linktype, data: buf.subarray(body + 4, Math.min(body + 4 + orig, pos + len - 4)) };
    }
    pos += len;
  }
}

/** if_tsresol (option 9): 10^-n, or 2^-n when the top bit is set; default microseconds. */
function tsResolution(buf: Buffer, start: number, end: number, le: boolean): number {
  let o = start;
  while (o + 4 <= end) {
    const code = le ? buf.readUInt16LE(o) : buf.readUInt16BE(o);
    const len = le ? buf.readUInt16LE(o + 2) : buf.readUInt16BE(o + 2);
    if (code === 0) break;
    if (code === 9 && len >= 1) {
      const v = buf[o + 4];
      return v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    }
    o += 4 + len + ((4 - (len % 4)) % 4);
  }
  return 1e6;
}
