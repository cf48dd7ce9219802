// SIP over UDP and TCP (RFC 3261 §18). UDP: one datagram, one message. TCP: messages framed by
// Content-Length on a byte stream, with the size limit applied before buffering more.
import dgram from 'node:dgram';
import net from 'node:net';
import { headerEnd } from './message.js';

export interface Inbound {
  data: Buffer;
  transport: 'udp' | 'tcp';
  remote: { address: string; port: number };
  /** Local address the message arrived on, when the socket knows it (TCP). */
  local?: string;
  send(buf: Buffer): void;
}

/** Why a TCP connection was refused or closed by us. */
export type TcpCloseReason = 'oversized' | 'bad-header' | 'tcp-idle' | 'tcp-partial-timeout' | 'tcp-busy' | 'tcp-busy-ip' | 'forbidden-source';

export interface TcpLimits {
  /** No traffic at all for this long: closed. */
  idleMs: number;
  /** A message begun but not complete for this long (slow senders): closed. */
  partialMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = { idleMs: 300_000, partialMs: 10_000, maxConnections: 512, maxConnectionsPerIp: 32 };

export interface TransportOptions {
  host: string;
  port: number;
  maxBytes: number;
  tcp?: Partial<TcpLimits>;
  /** Sources that may open a TCP connection at all (the SIPREC allow-list); default any. */
  admits?(address: string): boolean;
  onMessage(m: Inbound): void;
  /** A TCP connection refused, or closed for breaking the framing rules or a time limit. */
  onBad(reason: TcpCloseReason): void;
}

export interface Transports {
  udpPort: number;
  tcpPort: number;
  close(): Promise<void>;
}

const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$/im;

function listenTcp(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startTransports(o: TransportOptions): Promise<Transports> {
  const udp = dgram.createSocket({ type: o.host.includes(':') ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(o.port, o.host, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  udp.on('error', () => {}); // ICMP errors for a vanished peer must not end the listener
  udp.on('message', (data, rinfo) => {
    o.onMessage({ data, transport: 'udp', remote: { address: rinfo.address, port: rinfo.port }, send: (b) => udp.send(b, rinfo.port, rinfo.address) });
  });
  const udpPort = udp.address().port;

  const sockets = new Set<net.Socket>();
  const perIp = new Map<string, number>();
  const lim: TcpLimits = { ...DEFAULT_TCP_LIMITS, ...o.tcp };
  const server = net.createServer((sock) => {
    const ip = sock.remoteAddress ?? '';
    // Refused before a byte is read: off-list sources, and connections over the caps (the
    // per-address cap keeps one peer from taking every slot; the total bounds memory).
    const refuse = (reason: TcpCloseReason) => {
      o.onBad(reason);
      sock.destroy();
    };
    if (o.admits && !o.admits(ip)) return refuse('forbidden-source');
    if (sockets.size >= lim.maxConnections) return refuse('tcp-busy');
    if ((perIp.get(ip) ?? 0) >= lim.maxConnectionsPerIp) return refuse('tcp-busy-ip');
    sockets.add(sock);
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    let partial: NodeJS.Timeout | undefined;
    sock.on('close', () => {
      sockets.delete(sock);
      clearTimeout(partial);
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    });
    sock.on('error', () => sock.destroy());
    // Any traffic (keep-alive CRLFs included) resets the idle clock; a partial message has its own.
    sock.setTimeout(lim.idleMs, () => fail('tcp-idle'));
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      parse();
      if (sock.destroyed) return;
      if (buf.length === 0) {
        clearTimeout(partial);
        partial = undefined;
      } else if (!partial) {
        // Timed from the first byte of the message, not reset by more bytes: a sender dribbling
        // one byte a second cannot hold the connection.
        partial = setTimeout(() => fail('tcp-partial-timeout'), lim.partialMs);
        partial.unref();
      }
    });
    const parse = () => {
      for (;;) {
        // CRLF keep-alives between messages (RFC 5626): answer the double-CRLF ping, skip the rest.
        let skip = 0;
        while (skip < buf.length && (buf[skip] === 0x0d || buf[skip] === 0x0a)) skip++;
        if (skip > 0) {
          if (skip >= 4) sock.write('\r\n');
          buf = buf.subarray(skip);
        }
        const end = headerEnd(buf);
        if (end.at < 0) {
          if (buf.length > o.maxBytes) return fail('oversized');
          return;
        }
        const m = CONTENT_LENGTH.exec(buf.subarray(0, end.at).toString('latin1'));
        const total = end.at + end.len + (m ? Number(m[1]) : 0);
        if (total > o.maxBytes) return fail('oversized');
        if (buf.length < total) return;
        const data = buf.subarray(0, total);
        buf = buf.subarray(total);
        // A new message may start right behind this one: its partial clock starts now.
        clearTimeout(partial);
        partial = undefined;
        o.onMessage({
          data,
          transport: 'tcp',
          remote: { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 },
          local: sock.localAddress,
          send: (b) => {
            if (!sock.destroyed) sock.write(b);
          },
        });
      }
    };
    const fail = (reason: TcpCloseReason) => {
      o.onBad(reason);
      buf = Buffer.alloc(0);
      sock.destroy();
    };
  });
  // Same port number for TCP when free, as SBCs expect; otherwise an ephemeral one.
  try {
    await listenTcp(server, o.host, udpPort);
  } catch {
    await listenTcp(server, o.host, 0);
  }
  const tcpPort = (server.address() as net.AddressInfo).port;

  return {
    udpPort,
    tcpPort,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => server.close(() => r())), new Promise<void>((r) => udp.close(() => r()))]);
    },
  };
}
