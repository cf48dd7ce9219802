// The embedded SIP front: UDP + TCP listener, transactions and dialogs, in front of the SRS core.
// It speaks just enough SIP for an SRS: INVITE/re-INVITE, ACK, BYE, CANCEL, OPTIONS.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import net from 'node:net';
import type { Logger } from 'pino';
import type { SrsCore } from '../siprec/core.js';
import { methodLabel, type IngestMetrics } from '../siprec/metrics.js';
import { buildResponse, cseqNumber, header, param, parseSipMessage, SipParseError, topBranch, type ResponseOptions, type SipMessage } from './message.js';
import type { SipTrace } from './trace.js';
import { TransactionTable } from './transactions.js';
import { startTransports, type Inbound, type TcpLimits } from './transport.js';

export interface EmbeddedFrontOptions {
  host: string;
  port: number;
  maxMessageBytes: number;
  /** How long a 2xx waits for its ACK before the recording is ended (RFC 3261 Timer H, 32 s). */
  ackTimeoutMs?: number;
  maxHeaders?: number;
  maxVias?: number;
  tcp?: Partial<TcpLimits>;
  /** RFC 4028 Min-SE: a Session-Expires below it gets 422 (default 90 s, the RFC's floor). */
  minSessionExpiresSeconds?: number;
}

export interface SipFront {
  address(): { udp: number; tcp: number };
  /** For /readyz: whether this front can take calls now, and why not. */
  status(): { ok: boolean; detail: string };
  close(): Promise<void>;
}

interface Dialog {
  localTag: string;
  remoteTag: string;
  /** What a BYE from our side needs: the peer's URI and headers, and the way back to it. */
  bye: { target: string; from: string; to: string; transport: 'udp' | 'tcp'; via: string; send(b: Buffer): void; remote: { address: string; port: number }; local: { address: string; port: number } };
  /** RFC 4028 session timer: the SRC refreshes (re-INVITE) within the interval, or we end it. */
  session?: { seconds: number; timer: NodeJS.Timeout };
}

/** Session-Expires (`x`): delta-seconds and refresher, or undefined when absent or malformed. */
function sessionExpires(msg: SipMessage): { seconds: number; refresher?: string } | undefined {
  const v = header(msg, 'session-expires');
  const m = v ? /^\s*(\d{1,9})\s*(?:;|$)/.exec(v) : null;
  return m ? { seconds: Number(m[1]), refresher: param(v, 'refresher') } : undefined;
}

const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO';
const ACCEPT = 'application/sdp, application/rs-metadata+xml, application/rs-metadata, multipart/mixed';
const SUPPORTED = new Set(['siprec', 'timer']);
const tag = () => randomBytes(6).toString('hex');
const wildcard = (h: string) => h === '' || h === '0.0.0.0' || h === '::';

export function firstInterfaceAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  return '127.0.0.1';
}

export async function startEmbeddedFront(d: { core: SrsCore; log: Logger; metrics: IngestMetrics; trace?: SipTrace }, o: EmbeddedFrontOptions): Promise<SipFront> {
  const { core, log, metrics, trace } = d;
  const dialogs = new Map<string, Dialog>();
  const minSE = o.minSessionExpiresSeconds ?? 90;
  const forget = (callId: string) => {
    clearTimeout(dialogs.get(callId)?.session?.timer);
    dialogs.delete(callId);
  };
  /** Our BYE ending a dialog (session timer, RTP inactivity, bad ACK, shutdown), with why in the SIP log. */
  const sendBye = (callId: string, dlg: Dialog, why: string) => {
    const buf = buildBye(callId, dlg);
    dlg.bye.send(buf);
    trace?.record({ dir: 'out', sipCallId: callId, method: 'BYE', why, transport: dlg.bye.transport, remote: dlg.bye.remote, local: dlg.bye.local, raw: buf });
  };
  /**
   * Arms (or re-arms, on a refresh) the session timer: the SRC is the refresher (we never send
   * re-INVITEs), so without a refresh we send BYE before the session expires, min(32, interval/3)
   * ahead (RFC 4028 §10), and store the call with end reason session-expired.
   */
  const armSession = (callId: string, seconds: number) => {
    const dlg = dialogs.get(callId);
    if (!dlg) return;
    clearTimeout(dlg.session?.timer);
    const ms = Math.max(0.5, seconds - Math.min(32, seconds / 3)) * 1000;
    const timer = setTimeout(() => {
      if (dialogs.get(callId) !== dlg) return;
      log.warn({ seconds }, 'SIPREC session timer expired without a refresh; ending recording');
      metrics.badInput('sip', 'session-expired');
      forget(callId);
      sendBye(callId, dlg, 'session-expired');
      core.bye(callId, 'interrupted', 'session-expired');
    }, ms);
    timer.unref();
    dlg.session = { seconds, timer };
  };
  const txs = new TransactionTable((_tx, ackKey) => {
    // No ACK for our 200 within 64·T1: the SRC is gone (RFC 3261 §13.3.1.4). End the recording.
    const callId = ackKey.slice(0, ackKey.lastIndexOf('|'));
    log.warn('SIPREC 200 OK never acknowledged; ending recording');
    forget(callId);
    core.bye(callId, 'interrupted', 'no-ack');
  }, o.ackTimeoutMs);
  // The core ended a recording on its own (no RTP): tell the SRC, as RFC 7866 lets the SRS do.
  core.onExpired = (callId) => {
    const dlg = dialogs.get(callId);
    if (!dlg) return;
    forget(callId);
    sendBye(callId, dlg, 'rtp-inactivity');
  };

  const localAddress = (msg: SipMessage, m: Inbound): string => {
    if (!wildcard(o.host)) return o.host;
    if (m.local && !wildcard(m.local)) return m.local.startsWith('::ffff:') ? m.local.slice(7) : m.local;
    const host = /^sips?:(?:[^@;>]*@)?\[?([0-9a-fA-F.:]+?)\]?(?::\d+)?(?:[;>?]|$)/.exec(msg.uri)?.[1];
    if (host && net.isIP(host)) return host;
    return firstInterfaceAddress();
  };

  const respond = (msg: SipMessage, m: Inbound, status: number, reason: string, opts: ResponseOptions = {}, why?: string) => {
    metrics.sipResponses.inc({ code: String(status) });
    const buf = buildResponse(msg, status, reason, opts);
    trace?.record({ dir: 'out', sipCallId: header(msg, 'call-id') ?? '', method: msg.method, status, reason, why, transport: m.transport, remote: m.remote, local: localOf(m, msg), raw: buf });
    return buf;
  };
  /** Where a message arrived (for HEP): the address we answer from, as in our SDP, and the port. */
  const localOf = (m: Inbound, msg: SipMessage) => ({ address: localAddress(msg, m), port: m.transport === 'tcp' ? front.address().tcp : front.address().udp });

  const onMessage = (m: Inbound): void => {
    let msg: SipMessage;
    try {
      msg = parseSipMessage(m.data, { maxBytes: o.maxMessageBytes, maxHeaders: o.maxHeaders, maxVias: o.maxVias, stream: m.transport === 'tcp' });
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      metrics.badInput('sip', err.reason);
      const p = err.partial;
      // Answer 400 only when the request is whole enough to address a response to.
      if (p && p.kind === 'request' && ['via', 'from', 'to', 'call-id', 'cseq'].every((h) => p.headers.has(h))) {
        trace?.record({ dir: 'in', sipCallId: header(p, 'call-id') ?? '', method: p.method, why: err.reason, transport: m.transport, remote: m.remote, local: localOf(m, p), raw: m.data });
        m.send(respond(p, m, 400, 'Bad Request', {}, err.reason));
      }
      return;
    }
    trace?.record({ dir: 'in', sipCallId: header(msg, 'call-id') ?? '', method: msg.method, ...(msg.kind === 'response' ? { status: msg.status, reason: msg.reason } : {}), transport: m.transport, remote: m.remote, local: localOf(m, msg), raw: m.data });
    if (msg.kind === 'response') return; // the answer to our BYE: logged, nothing else to do
    metrics.sipRequests.inc({ method: methodLabel(msg.method) });
    const callId = header(msg, 'call-id')!;
    const branch = topBranch(msg) || `${callId}|${cseqNumber(msg)}`;
    const toTag = param(header(msg, 'to'), 'tag');
    const fromTag = param(header(msg, 'from'), 'tag') ?? '';

    if (msg.method === 'ACK') {
      txs.ack(`${callId}|${cseqNumber(msg)}`);
      // Delayed offer: the ACK carries the SRC's answer to the offer in our 2xx.
      if (core.awaitsAnswer(callId)) {
        void core.ack(callId, header(msg, 'content-type'), msg.body).then((ok) => {
          const dlg = dialogs.get(callId);
          if (ok || !dlg) return;
          log.warn('SIPREC ACK brought no usable SDP answer; ending the dialog');
          forget(callId);
          sendBye(callId, dlg, 'ack-without-answer');
        }, (err: unknown) => log.error({ err }, 'SIPREC ACK handling failed'));
      }
      return;
    }
    const key = `${branch}|${msg.method}`;
    const known = txs.get(key);
    if (known) {
      if (known.last) m.send(known.last); // retransmitted request
      return;
    }
    const tx = txs.create(key, msg.method, m.send);
    const reliable = m.transport === 'tcp';
    const final = (status: number, reason: string, opts: ResponseOptions = {}, why?: string) => txs.respond(tx, respond(msg, m, status, reason, opts, why), status, { reliable });

    switch (msg.method) {
      case 'OPTIONS':
        if (!core.admits(m.remote.address)) return final(403, 'Forbidden', {}, 'forbidden-source');
        if (core.atCapacity()) return final(503, 'Service Unavailable', { headers: { 'Retry-After': String(core.retryAfterSeconds) } }, 'at-capacity');
        return final(200, 'OK', { toTag: toTag ? undefined : tag(), headers: { Allow: ALLOW, Accept: ACCEPT, Supported: 'siprec' } });
      case 'INVITE':
        return void handleInvite(msg, m, tx, callId, toTag, fromTag);
      case 'CANCEL': {
        const inv = txs.get(`${branch}|INVITE`);
        if (!inv) return final(481, 'Call/Transaction Does Not Exist', {}, 'no-transaction');
        // Same To tag as the INVITE's responses (RFC 3261 §9.2): an SRC whose CANCEL crossed our
        // 200 can take the dialog's tag from either response.
        final(200, 'OK', { toTag: inv.toTag });
        if (!inv.final) core.cancel(callId);
        return;
      }
      case 'BYE': {
        const dlg = dialogs.get(callId);
        if (!dlg || dlg.localTag !== toTag) return final(481, 'Call/Transaction Does Not Exist', {}, 'no-dialog');
        forget(callId);
        core.bye(callId);
        return final(200, 'OK');
      }
      case 'INFO':
        return final(dialogs.has(callId) ? 200 : 481, dialogs.has(callId) ? 'OK' : 'Call/Transaction Does Not Exist');
      default:
        return final(405, 'Method Not Allowed', { headers: { Allow: ALLOW } }, 'method');
    }

    async function handleInvite(msg: SipMessage, m: Inbound, t: typeof tx, callId: string, toTag: string | undefined, fromTag: string) {
      const dlg = dialogs.get(callId);
      if (toTag && (!dlg || dlg.localTag !== toTag)) return final(481, 'Call/Transaction Does Not Exist', {}, 'no-dialog');
      const localTag = dlg?.localTag ?? tag();
      t.toTag = localTag;
      // Require (RFC 3261 §8.2.2.3): siprec and timer are ours; any other extension gets 420.
      const unsupported = (msg.headers.get('require') ?? []).flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter((v) => v && !SUPPORTED.has(v));
      if (unsupported.length > 0) {
        metrics.badInput('sip', 'bad-extension');
        return final(420, 'Bad Extension', { toTag: localTag, headers: { Unsupported: unsupported.join(', ') } }, 'bad-extension');
      }
      const se = sessionExpires(msg);
      if (se && se.seconds < minSE) {
        metrics.badInput('sip', 'session-interval-too-small');
        return final(422, 'Session Interval Too Small', { toTag: localTag, headers: { 'Min-SE': String(minSE) } }, 'session-interval-too-small');
      }
      txs.respond(t, respond(msg, m, 100, 'Trying'), 100, { reliable });
      const res = await core.invite({ callId, source: m.remote.address, localAddress: localAddress(msg, m), contentType: header(msg, 'content-type'), body: msg.body, initial: !toTag });
      const opts: ResponseOptions = { toTag: localTag, headers: { ...res.headers } };
      if (res.status >= 200 && res.status < 300) {
        if (!dlg) {
          const contact = /<([^>]+)>/.exec(header(msg, 'contact') ?? '')?.[1] ?? (header(msg, 'contact') ?? '').split(';')[0].trim();
          const ours = `${header(msg, 'to')};tag=${localTag}`;
          const local = localAddress(msg, m);
          const port = m.transport === 'tcp' ? front.address().tcp : front.address().udp;
          dialogs.set(callId, {
            localTag,
            remoteTag: fromTag,
            bye: { target: contact || msg.uri, from: ours, to: header(msg, 'from') ?? '', transport: m.transport, via: `SIP/2.0/${m.transport.toUpperCase()} ${hostForUri(local)}:${port}`, send: m.send, remote: m.remote, local: { address: local, port } },
          });
        }
        const port = m.transport === 'tcp' ? `;transport=tcp` : '';
        opts.headers = { ...opts.headers, Contact: `<sip:srs@${hostForUri(localAddress(msg, m))}:${m.transport === 'tcp' ? front.address().tcp : front.address().udp}${port}>;+sip.srs`, Allow: ALLOW, Supported: 'siprec, timer' };
        // A session timer the SRC asked for (a refresh may also re-ask): the SRC refreshes.
        const seconds = se?.seconds ?? dialogs.get(callId)?.session?.seconds;
        if (seconds !== undefined) {
          const uacTimer = (msg.headers.get('supported') ?? []).some((v) => /(^|,)\s*timer\s*(,|$)/i.test(v));
          opts.headers['Session-Expires'] = `${seconds};refresher=uac`;
          if (uacTimer) opts.headers.Require = 'timer';
          armSession(callId, seconds);
        }
        opts.body = res.sdp;
      }
      txs.respond(t, respond(msg, m, res.status, res.reason, opts, res.why), res.status, { reliable, ackKey: `${callId}|${cseqNumber(msg)}` });
    }
  };

  const transports = await startTransports({
    host: o.host,
    port: o.port,
    maxBytes: o.maxMessageBytes,
    tcp: o.tcp,
    admits: (a) => core.admits(a),
    onMessage: (m) => {
      try {
        onMessage(m);
      } catch (err) {
        // A bug on one message must not stop the listener.
        metrics.badInput('sip', 'internal');
        log.error({ err }, 'SIP message handling failed');
      }
    },
    onBad: (reason) => metrics.badInput('sip', reason),
  });
  const front: SipFront = {
    address: () => ({ udp: transports.udpPort, tcp: transports.tcpPort }),
    status: () => ({ ok: true, detail: `embedded SIP listening on udp/${transports.udpPort} and tcp/${transports.tcpPort}` }),
    close: async () => {
      // Shutting down ends each recording from our side (RFC 7866 lets the SRS send BYE).
      for (const [callId, dlg] of dialogs) sendBye(callId, dlg, 'shutdown');
      // Let the datagrams leave before the socket closes (a close cancels queued sends).
      if (dialogs.size > 0) await new Promise((r) => setTimeout(r, 20));
      txs.clear();
      for (const id of [...dialogs.keys()]) forget(id);
      await transports.close();
    },
  };
  return front;
}

const hostForUri = (h: string) => (h.includes(':') ? `[${h}]` : h);

function buildBye(callId: string, d: Dialog): Buffer {
  const lines = [
    `BYE ${d.bye.target} SIP/2.0`,
    `Via: ${d.bye.via};branch=z9hG4bK${tag()}`,
    'Max-Forwards: 70',
    `From: ${d.bye.from}`,
    `To: ${d.bye.to}`,
    `Call-ID: ${callId}`,
    'CSeq: 1 BYE',
    'Server: Earshot',
    'Content-Length: 0',
  ];
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n');
}
