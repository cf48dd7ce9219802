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

export interface TransportOptions {
  host: string;
  port: number;
  maxBytes: number;
  onMessage(m: Inbound): void;
  /** A TCP stream that broke the framing rules (it is then closed). */
  onBad(reason: 'oversized' | 'bad-header'): void;
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
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
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
    });
    const fail = (reason: 'oversized' | 'bad-header') => {
      o.onBad(reason);
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
