// The per-call SIP log both fronts write: every request and response we receive or send becomes
//  - one info line (pino child bound to the dialog's Call-ID): direction, method/status, reason, peer;
//    never an AOR, a number or a body;
//  - at debug, the whole message with AORs, display names and numbers redacted;
//  - a row in the store's sip_log (batched, bounded per dialog; `earshot calls show`);
//  - a HEP v3 copy to Homer when sip.hep is enabled (the unredacted message: Homer is the
//    operator's own troubleshooting store, reached over their network).
import type { Logger } from 'pino';
import { callerKey } from '../../call/identity.js';
import type { SipLogEntry } from '../../store/repos/sip-log.js';
import type { IngestMetrics } from '../siprec/metrics.js';
import type { HepSender } from './hep.js';

export interface TraceMessage {
  dir: 'in' | 'out';
  sipCallId: string;
  method: string;
  status?: number;
  /** The reason phrase. */
  reason?: string;
  /** Why we rejected (a bounded label, e.g. no-codec, bad-extension), on our own error responses. */
  why?: string;
  transport: 'udp' | 'tcp' | 'drachtio';
  remote: { address: string; port: number };
  local?: { address: string; port: number };
  /** The message as sent or received (debug log and HEP only; never stored). */
  raw?: Buffer | string;
}

export interface SipLogSink {
  /** Returns how many rows the per-dialog cap dropped. */
  append(entries: SipLogEntry[]): number;
}

export interface SipTraceDeps {
  log: Logger;
  metrics: Pick<IngestMetrics, 'sipLogDropped' | 'hepErrors'>;
  sink?: SipLogSink;
  hep?: HepSender;
  /** The Earshot call id of a dialog, once it has one. */
  callIdOf?: (sipCallId: string) => string | undefined;
}

const FLUSH_MS = 200;
/** Buffered rows before a flush is forced (a burst must not grow memory). */
const MAX_BUFFER = 500;

const stripMapped = (a: string) => (a.startsWith('::ffff:') ? a.slice(7) : a);
const hostPort = (a: { address: string; port: number }) => (stripMapped(a.address).includes(':') ? `[${stripMapped(a.address)}]:${a.port}` : `${stripMapped(a.address)}:${a.port}`);

export class SipTrace {
  #buffer: SipLogEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Call ids of recent dialogs: the BYE's 200 (sent after the call closed) still joins its call. */
  readonly #calls = new Map<string, string>();

  constructor(private readonly d: SipTraceDeps) {}

  record(m: TraceMessage): void {
    const callId = this.#callOf(m.sipCallId);
    const reason = m.reason === undefined ? undefined : redactSip(m.reason).slice(0, 80);
    const peer = hostPort(m.remote);
    const log = this.d.log.child({ callId: m.sipCallId, ...(callId ? { call: callId } : {}) });
    const what = m.status !== undefined ? `${m.status} ${m.method}` : m.method;
    // OPTIONS keep-alives (an SBC pings every few seconds) would drown the log and fill the table:
    // a ping and its 2xx go to debug only; a refused one (403, 503) is an info line and a row.
    const keepAlive = m.method === 'OPTIONS' && (m.status === undefined || (m.status >= 200 && m.status < 300));
    const fields = { dir: m.dir, method: m.method, status: m.status, reason, why: m.why, peer, transport: m.transport };
    if (keepAlive) log.debug(fields, `SIP ${m.dir} ${what}`);
    else log.info(fields, `SIP ${m.dir} ${what}`);
    if (m.raw !== undefined && log.isLevelEnabled('debug')) log.debug({ sip: redactSip(typeof m.raw === 'string' ? m.raw : m.raw.toString('utf8')) }, `SIP ${m.dir} ${what} (message)`);
    if (this.d.sink && !keepAlive) {
      this.#buffer.push({ sipCallId: m.sipCallId, callId, at: Date.now(), dir: m.dir, method: m.method, status: m.status, reason: [reason, m.why].filter(Boolean).join('; ') || undefined, peer, transport: m.transport });
      if (this.#buffer.length >= MAX_BUFFER) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
    }
    if (this.d.hep && m.raw !== undefined && m.transport !== 'drachtio') {
      const local = m.local ?? { address: '0.0.0.0', port: 0 };
      const [src, dst] = m.dir === 'in' ? [m.remote, local] : [local, m.remote];
      this.d.hep.send({
        srcIp: stripMapped(src.address),
        srcPort: src.port,
        dstIp: stripMapped(dst.address),
        dstPort: dst.port,
        transport: m.transport,
        timeMs: Date.now(),
        correlationId: m.sipCallId,
        payload: typeof m.raw === 'string' ? Buffer.from(m.raw) : m.raw,
      });
    }
  }

  #callOf(sipCallId: string): string | undefined {
    // The live session first: a Call-ID seen again is a new call.
    const id = this.d.callIdOf?.(sipCallId);
    if (!id) return this.#calls.get(sipCallId);
    if (!this.#calls.has(sipCallId) && this.#calls.size >= 10_000) this.#calls.delete(this.#calls.keys().next().value!);
    this.#calls.set(sipCallId, id);
    return id;
  }

  /** Writes buffered rows now (also on close). A store failure drops them, counted: SIP goes on. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.d.sink || this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    try {
      const dropped = this.d.sink.append(batch);
      if (dropped > 0) this.d.metrics.sipLogDropped.inc({ reason: 'cap' }, dropped);
    } catch (err) {
      this.d.metrics.sipLogDropped.inc({ reason: 'store' }, batch.length);
      this.d.log.warn({ err: (err as Error).message, rows: batch.length }, 'SIP log rows could not be stored');
    }
  }

  async close(): Promise<void> {
    this.flush();
    await this.d.hep?.close();
  }
}

// Headers whose display name (before `<`) names a person.
const NAMED = /^(from|to|f|t|contact|m|p-asserted-identity|p-preferred-identity|remote-party-id|diversion|referred-by|b|refer-to|r|history-info)\s*:/i;
// Headers kept as they are (routing and transaction ids: needed to correlate, hold no number).
const KEEP = /^(via|v|call-id|i|cseq|content-length|l|max-forwards|branch)\s*:/i;

/**
 * A SIP message (or any SIP text) with what identifies a person removed: the user part of every
 * sip:/sips:/tel: URI, display names, rs-metadata <name> elements, and any other run of digits that
 * is a phone number by the same test the caller-id hash uses (callerKey). Hosts, ports, tags,
 * branches, Call-ID and SDP stay: they are what an engineer reads.
 */
export function redactSip(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => {
      let l = line.replace(/\b(sips?|tel):([^@;>\s"',]+)(@?)/gi, (_m, scheme: string, user: string, at: string) => (at || scheme.toLowerCase() === 'tel' ? `${scheme}:[redacted]${at}` : `${scheme}:${user}${at}`));
      l = l.replace(/<((?:\w+:)?name)\b([^>]*)>[^<]*<\/\1>/gi, '<$1$2>[redacted]</$1>');
      if (NAMED.test(l)) l = l.replace(/^([^:]+:\s*)("(?:[^"\\]|\\.)*"|[^<"]*?)\s*</, (_m, h: string, name: string) => (name.trim() ? `${h}"[redacted]" <` : `${h}<`));
      if (KEEP.test(l) || /^[a-z]=/.test(l)) return l;
      // Numbers elsewhere (X- headers, User-to-User, reason phrases), not parts of a token or an address.
      return l.replace(/(?<![\w=.:([\]-])\+?\(?\d[\d ()-]{3,22}\d(?![\w.:])/g, (n) => (callerKey(n) ? '[number]' : n));
    })
    .join('\r\n');
}
