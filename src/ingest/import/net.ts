// Link, IP and UDP layers of captured packets: enough to find SIP and RTP on a SPAN port.
// TCP (SIP over TCP/TLS) and IP fragments are not reassembled: they are counted and skipped.

export interface Datagram {
  tsMs: number;
  src: string; // "ip:port"
  dst: string;
  payload: Buffer;
}

export type Skip = 'not-ip' | 'not-udp' | 'fragment' | 'short';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

/** Returns the UDP datagram in a link-layer frame, or why there is none. */
export function udpOf(linktype: number, data: Buffer, tsMs: number): Datagram | Skip {
  let off: number;
  let ethertype: number;
  switch (linktype) {
    case 1: {
      // Ethernet, with any number of 802.1Q / 802.1ad tags
      if (data.length < 14) return 'short';
      off = 12;
      ethertype = data.readUInt16BE(off);
      while ((ethertype === 0x8100 || ethertype === 0x88a8) && off + 6 <= data.length) {
        off += 4;
        ethertype = data.readUInt16BE(off);
      }
      off += 2;
      break;
    }
    case 113: // Linux cooked (tcpdump -i any)
      if (data.length < 16) return 'short';
      ethertype = data.readUInt16BE(14);
      off = 16;
      break;
    case 276: // Linux cooked v2
      if (data.length < 20) return 'short';
      ethertype = data.readUInt16BE(0);
      off = 20;
      break;
    case 0: {
      // BSD loopback: address family in host order
      if (data.length < 4) return 'short';
      const fam = data.readUInt32LE(0) > 0xffff ? data.readUInt32BE(0) : data.readUInt32LE(0);
      ethertype = fam === 2 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
      off = 4;
      break;
    }
    case 12:
    case 101:
    case 228:
    case 229:
      off = 0;
      ethertype = data.length > 0 && data[0] >> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
      break;
    default:
      return 'not-ip';
  }
  if (ethertype === ETHERTYPE_IPV4) return ipv4(data, off, tsMs);
  if (ethertype === ETHERTYPE_IPV6) return ipv6(data, off, tsMs);
  return 'not-ip';
}

function ipv4(d: Buffer, o: number, tsMs: number): Datagram | Skip {
  if (d.length < o + 20 || d[o] >> 4 !== 4) return 'short';
  const ihl = (d[o] & 0x0f) * 4;
  if (d[o + 9] !== 17) return 'not-udp';
  const frag = d.readUInt16BE(o + 6);
  if (frag & 0x2000 || frag & 0x1fff) return 'fragment';
  const src = `${d[o + 12]}.${d[o + 13]}.${d[o + 14]}.${d[o + 15]}`;
  const dst = `${d[o + 16]}.${d[o + 17]}.${d[o + 18]}.${d[o + 19]}`;
  return udp(d, o + ihl, src, dst, tsMs);
}

function ipv6(d: Buffer, o: number, tsMs: number): Datagram | Skip {
  if (d.length < o + 40) return 'short';
  if (d[o + 6] !== 17) return d[o + 6] === 44 ? 'fragment' : 'not-udp';
  const addr = (p: number) => Array.from({ length: 8 }, (_, i) => d.readUInt16BE(p + i * 2).toString(16)).join(':');
  return udp(d, o + 40, `[${addr(o + 8)}]`, `[${addr(o + 24)}]`, tsMs);
}

function udp(d: Buffer, o: number, srcIp: string, dstIp: string, tsMs: number): Datagram | Skip {
  if (d.length < o + 8) return 'short';
  const len = d.readUInt16BE(o + 4);
  const end = Math.min(d.length, o + Math.max(8, len));
  return { tsMs, src: `${srcIp}:${d.readUInt16BE(o)}`, dst: `${dstIp}:${d.readUInt16BE(o + 2)}`, payload: d.subarray(o + 8, end) };
}

/** "ip:port" as SDP gives it, normalised like `udpOf` output (IPv6 expanded, bracketed). */
export function endpoint(ip: string, port: number): string {
  if (!ip.includes(':')) return `${ip}:${port}`;
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  const parts = ip.includes('::') ? [...h, ...Array(8 - h.length - tl.length).fill('0'), ...tl] : ip.split(':');
  return `[${parts.map((p) => parseInt(p || '0', 16).toString(16)).join(':')}]:${port}`;
}
