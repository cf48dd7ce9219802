// A tolerant SIP message parser (RFC 3261 §7) and response builder. Tolerant where SBCs differ
// (bare LF, compact header names, folded lines, missing Content-Length on UDP), strict where
// a mistake would be unsafe (size and header-count limits, mandatory headers).
import { EarshotError } from '../../errors.js';

export interface SipMessage {
  kind: 'request' | 'response';
  method: string; // request method, or the CSeq method of a response
  uri: string;
  status: number;
  reason: string;
  /** Lower-case long header names → values in arrival order (a header line may hold a comma list). */
  headers: Map<string, string[]>;
  body: string;
}

/** Bounded reasons, used as badInput('sip', reason). */
export type SipRejectReason = 'oversized' | 'no-header-end' | 'start-line' | 'bad-header' | 'too-many-headers' | 'too-many-vias' | 'missing-header' | 'cseq' | 'truncated-body' | 'version';

export class SipParseError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_SIP_PARSE';
  constructor(readonly reason: SipRejectReason, readonly partial?: SipMessage) {
    super('EARSHOT_ERR_SIP_PARSE', undefined, { message: `bad SIP message: ${reason}` });
    this.name = 'SipParseError';
  }
}

const COMPACT: Record<string, string> = { i: 'call-id', f: 'from', t: 'to', v: 'via', c: 'content-type', l: 'content-length', m: 'contact', k: 'supported', s: 'subject', e: 'content-encoding', o: 'event', u: 'allow-events', r: 'refer-to', b: 'referred-by', x: 'session-expires' };
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const MAX_HEADERS = 128;
const MAX_VIAS = 16;

export interface ParseLimits {
  maxBytes: number;
  /** Header lines (sip.maxHeaders, default 128) and Via entries, comma lists counted (sip.maxVias, default 16). */
  maxHeaders?: number;
  maxVias?: number;
  /** Stream transports must carry Content-Length; a datagram's body is the rest of it. */
  stream?: boolean;
}

/** Index just past the blank line ending the headers, and its length, or -1. */
export function headerEnd(buf: Buffer): { at: number; len: number } {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return { at: -1, len: 0 };
  if (lf >= 0 && (crlf < 0 || lf < crlf)) return { at: lf, len: 2 };
  return { at: crlf, len: 4 };
}

export function parseSipMessage(buf: Buffer, limits: ParseLimits): SipMessage {
  if (buf.length > limits.maxBytes) throw new SipParseError('oversized');
  const end = headerEnd(buf);
  if (end.at < 0) throw new SipParseError('no-header-end');
  const head = buf.subarray(0, end.at).toString('utf8');
  const lines = head.split(/\r?\n/);
  // Leading blank lines are keep-alives (RFC 5626 CRLF ping) stuck in front: skip them.
  while (lines.length && lines[0] === '') lines.shift();
  const start = lines.shift() ?? '';
  const msg: SipMessage = { kind: 'request', method: '', uri: '', status: 0, reason: '', headers: new Map(), body: '' };
  const resp = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/.exec(start);
  if (resp) {
    msg.kind = 'response';
    msg.status = Number(resp[1]);
    msg.reason = resp[2] ?? '';
  } else {
    const m = /^([A-Za-z]+) (\S+) (SIP\/\d\.\d)$/.exec(start);
    if (!m) throw new SipParseError('start-line');
    if (m[3] !== 'SIP/2.0') throw new SipParseError('version');
    msg.method = m[1].toUpperCase();
    msg.uri = m[2];
  }
  let count = 0;
  let last: string[] | undefined;
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!last) throw new SipParseError('bad-header', msg);
      last[last.length - 1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError('bad-header', msg);
    let name = line.slice(0, colon).trim().toLowerCase();
    if (!TOKEN.test(name)) throw new SipParseError('bad-header', msg);
    if (++count > (limits.maxHeaders ?? MAX_HEADERS)) throw new SipParseError('too-many-headers', msg);
    name = COMPACT[name] ?? name;
    last = msg.headers.get(name);
    if (!last) msg.headers.set(name, (last = []));
    last.push(line.slice(colon + 1).trim());
  }
  for (const h of ['via', 'from', 'to', 'call-id', 'cseq']) if (!msg.headers.has(h)) throw new SipParseError('missing-header', msg);
  // Every Via is copied into each response and retransmission: a long list is amplification.
  const vias = msg.headers.get('via')!.reduce((n, v) => n + v.split(',').length, 0);
  if (vias > (limits.maxVias ?? MAX_VIAS)) {
    const first = msg.headers.get('via')![0].split(',')[0];
    throw new SipParseError('too-many-vias', { ...msg, headers: new Map([...msg.headers, ['via', [first]]]) });
  }
  const cseq = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(header(msg, 'cseq') ?? '');
  if (!cseq || (msg.kind === 'request' && cseq[2].toUpperCase() !== msg.method)) throw new SipParseError('cseq', msg);
  if (msg.kind === 'response') msg.method = cseq[2].toUpperCase();
  const rest = buf.subarray(end.at + end.len);
  const cl = header(msg, 'content-length');
  if (cl !== undefined) {
    const n = Number(cl);
    if (!Number.isInteger(n) || n < 0) throw new SipParseError('bad-header', msg);
    if (n > rest.length) throw new SipParseError('truncated-body', msg);
    msg.body = rest.subarray(0, n).toString('utf8');
  } else if (limits.stream) {
    msg.body = '';
  } else {
    msg.body = rest.toString('utf8');
  }
  return msg;
}

/** First value of a header. */
export function header(msg: SipMessage, name: string): string | undefined {
  return msg.headers.get(name)?.[0];
}

/** `tag` (or another) parameter of a From/To/Via value, outside any <...> URI. */
export function param(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined;
  const outside = value.replace(/<[^>]*>/g, '');
  const m = new RegExp(`;\\s*${name}\\s*=\\s*"?([^;,"\\s]+)"?`, 'i').exec(outside);
  return m?.[1];
}

/** The top Via's branch: the transaction key (RFC 3261 §17.2.3). */
export function topBranch(msg: SipMessage): string {
  const via = header(msg, 'via') ?? '';
  return param(via.split(',')[0], 'branch') ?? '';
}

export function cseqNumber(msg: SipMessage): number {
  return Number((header(msg, 'cseq') ?? '0').split(/\s+/)[0]);
}

export interface ResponseOptions {
  toTag?: string;
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
}

/** A response to `req`: Via, From, Call-ID and CSeq copied, To tagged when asked. */
export function buildResponse(req: SipMessage, status: number, reason: string, o: ResponseOptions = {}): Buffer {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of req.headers.get('via') ?? []) lines.push(`Via: ${v}`);
  lines.push(`From: ${header(req, 'from')}`);
  let to = header(req, 'to') ?? '';
  if (o.toTag && !param(to, 'tag')) to += `;tag=${o.toTag}`;
  lines.push(`To: ${to}`);
  lines.push(`Call-ID: ${header(req, 'call-id')}`);
  lines.push(`CSeq: ${header(req, 'cseq')}`);
  for (const [k, v] of Object.entries(o.headers ?? {})) lines.push(`${k}: ${v}`);
  lines.push('Server: Earshot');
  const body = o.body ?? '';
  if (body) lines.push(`Content-Type: ${o.contentType ?? 'application/sdp'}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body);
}
