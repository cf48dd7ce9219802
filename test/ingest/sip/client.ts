// A minimal SIP UAC over a real UDP (or TCP) socket for protocol tests: sends hand-written
// messages (so quirks can be exact) and collects the responses.
import dgram from 'node:dgram';
import net from 'node:net';

export interface Response {
  status: number;
  raw: string;
  headers: Record<string, string>;
  body: string;
}

function parse(raw: string): Response {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const lines = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(lines[0].split(' ')[1]), raw, headers, body: rest.join('\r\n\r\n') };
}

export class UdpClient {
  readonly sock = dgram.createSocket('udp4');
  readonly responses: Response[] = [];
  #waiters: (() => void)[] = [];

  /** `from`: another loopback address (127.0.0.2 …) plays a source that is not the local host. */
  static async open(t: { teardown(fn: () => unknown): void }, port: number, from = '127.0.0.1'): Promise<UdpClient> {
    const c = new UdpClient(port);
    await new Promise<void>((r) => c.sock.bind(0, from, () => r()));
    c.sock.on('message', (m) => {
      c.responses.push(parse(m.toString('utf8')));
      for (const w of c.#waiters.splice(0)) w();
    });
    t.teardown(() => c.sock.close());
    return c;
  }

  constructor(readonly port: number) {}

  get localPort(): number {
    return this.sock.address().port;
  }

  send(msg: string | Buffer): void {
    this.sock.send(typeof msg === 'string' ? Buffer.from(msg) : msg, this.port, '127.0.0.1');
  }

  /** Waits for a response matching `pred` that arrives after index `from`; undefined on timeout. */
  async wait(pred: (r: Response) => boolean, ms = 3000, from = 0): Promise<Response | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const r = this.responses.slice(from).find(pred);
      if (r) return r;
      const left = until - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((res) => {
        const timer = setTimeout(res, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          res();
        });
      });
    }
  }

  /** Sends and waits for the final response (≥ 200) with this CSeq. */
  async request(msg: string, cseq: string, ms = 3000): Promise<Response | undefined> {
    const from = this.responses.length;
    this.send(msg);
    return this.wait((r) => r.status >= 200 && r.headers.cseq === cseq, ms, from);
  }
}

export async function tcpRequest(port: number, msg: string, ms = 3000): Promise<{ responses: Response[]; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ responses: buf.split(/(?=SIP\/2\.0 )/).filter(Boolean).map(parse), closed });
    };
    const timer = setTimeout(done, ms);
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (/SIP\/2\.0 [2-6]\d\d/.test(buf)) setTimeout(done, 50);
    });
    sock.on('close', () => {
      closed = true;
      done();
    });
    sock.on('error', () => {});
    sock.write(msg);
  });
}

export interface InviteOpts {
  callId: string;
  port: number;
  localPort: number;
  cseq?: number;
  toTag?: string;
  branch?: string;
  contentType: string;
  body: string;
  eol?: string;
  method?: string;
  extraHeaders?: string[];
}

/** A request in the shape SBCs send; `eol` lets a test use bare LF throughout. */
export function request(o: InviteOpts): string {
  const eol = o.eol ?? '\r\n';
  const method = o.method ?? 'INVITE';
  const cseq = o.cseq ?? 1;
  const body = o.body.replace(/\r?\n/g, eol);
  const lines = [
    `${method} sip:srs@127.0.0.1:${o.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.localPort};branch=${o.branch ?? `z9hG4bK${Math.random().toString(36).slice(2)}`}`,
    `From: <sip:src@127.0.0.1>;tag=src1`,
    `To: <sip:srs@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:src@127.0.0.1:${o.localPort}>;+sip.src`,
    'Max-Forwards: 70',
    ...(o.extraHeaders ?? []),
  ];
  if (body) lines.push(`Content-Type: ${o.contentType}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return lines.join(eol) + eol + eol + body;
}

export function sdpOffer(streams: { port: number; label: string; pts?: string; rtpmap?: string[]; dir?: string }[], addr = '127.0.0.1'): string {
  const out = ['v=0', `o=src 1 1 IN IP4 ${addr}`, 's=-', `c=IN IP4 ${addr}`, 't=0 0'];
  for (const s of streams) {
    out.push(`m=audio ${s.port} RTP/AVP ${s.pts ?? '0 101'}`);
    out.push(...(s.rtpmap ?? ['a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000']));
    out.push(`a=label:${s.label}`, `a=${s.dir ?? 'sendonly'}`);
  }
  return out.join('\r\n') + '\r\n';
}

export function metadataXml(parts: { id: string; aor: string; sends: string }[], streams: { id: string; label: string }[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<recording xmlns="urn:ietf:params:xml:ns:recording:1">',
    '<datamode>complete</datamode>',
    ...parts.map((p) => `<participant participant_id="${p.id}"><nameID aor="${p.aor}"/></participant>`),
    ...streams.map((s) => `<stream stream_id="${s.id}" session_id="s"><label>${s.label}</label></stream>`),
    ...parts.map((p) => `<participantstreamassoc participant_id="${p.id}"><send>${p.sends}</send></participantstreamassoc>`),
    '</recording>',
  ].join('\r\n');
}

export function multipart(boundary: string, parts: { type: string; body: string }[]): string {
  return parts.map((p) => `--${boundary}\r\nContent-Type: ${p.type}\r\n\r\n${p.body}\r\n`).join('') + `--${boundary}--\r\n`;
}

/** Parses the m= lines of an SDP answer. */
export function answerPorts(sdp: string): number[] {
  return [...sdp.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));
}
