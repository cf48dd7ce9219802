// The drachtio front: drachtio-server owns SIP (transactions, retransmissions, dialogs) and hands
// us requests over its TCP control connection via drachtio-srf. The adapter turns an srf request
// into the core's offer and the core's answer into `res.send`. The multipart body is read from
// `req.body` and split by our own parser: srf's `req.payload` mis-splits SIPREC bodies.
import Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { firstInterfaceAddress, type SipFront } from '../sip/front.js';
import type { SipTrace } from '../sip/trace.js';
import type { SrsCore } from './core.js';
import { methodLabel, type IngestMetrics } from './metrics.js';

/** The parts of drachtio-srf's request we use. */
export interface SrfReq {
  method: string;
  body?: string;
  source_address?: string;
  source_port?: number;
  /** The request as drachtio-server received it (debug log only). */
  raw?: string;
  get(name: string): string | undefined;
  on(event: 'cancel', fn: () => void): unknown;
}

/** The parts of drachtio-srf's response we use. */
export interface SrfRes {
  send(status: number, opts?: { headers?: Record<string, string>; body?: string }): void;
  send(status: number, reason: string, opts?: { headers?: Record<string, string>; body?: string }, callback?: (err?: Error) => void, fnAck?: (ack: SrfReq) => void): void;
}

export interface DrachtioOptions {
  host: string;
  port: number;
  secret: string;
  /** SDP address of our RTP ports when rtp.advertise is unset. */
  localAddress?: string;
  /** Longest wait between reconnect attempts; srf backs off ×1.7 from 150 ms up to it. */
  retryMaxDelayMs?: number;
}

const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS';
const ACCEPT = 'application/sdp, application/rs-metadata+xml, application/rs-metadata, multipart/mixed';
const tagOf = (v: string | undefined) => /;\s*tag=([^;>\s]+)/i.exec((v ?? '').replace(/<[^>]*>/g, ''))?.[1];

/** Request handlers for srf, separate from the connection so they can be tested at the boundary. */
export function drachtioHandlers(core: SrsCore, metrics: IngestMetrics, localAddress: string, trace?: SipTrace) {
  // The SIP log's lines; the wire (and HEP) is drachtio-server's: its own capture-server setting.
  const remote = (req: SrfReq) => ({ address: req.source_address ?? '', port: req.source_port ?? 5060 });
  const received = (req: SrfReq) => trace?.record({ dir: 'in', sipCallId: req.get('Call-ID') ?? '', method: req.method, transport: 'drachtio', remote: remote(req), raw: req.raw });
  const answer = (req: SrfReq, res: SrfRes, status: number, reason: string, headers: Record<string, string> = {}, body?: string, onAck?: (ack: SrfReq) => void, why?: string) => {
    metrics.sipResponses.inc({ code: String(status) });
    trace?.record({ dir: 'out', sipCallId: req.get('Call-ID') ?? '', method: req.method, status, reason, why, transport: 'drachtio', remote: remote(req) });
    if (onAck) res.send(status, reason, { headers, ...(body ? { body } : {}) }, () => {}, onAck);
    else res.send(status, reason, { headers, ...(body ? { body } : {}) });
  };
  return {
    async invite(req: SrfReq, res: SrfRes): Promise<void> {
      metrics.sipRequests.inc({ method: 'INVITE' });
      received(req);
      const callId = req.get('Call-ID') ?? '';
      let cancelled = false;
      req.on('cancel', () => {
        // drachtio-server has already answered CANCEL 200 and the INVITE 487.
        cancelled = true;
        core.cancel(callId);
      });
      const r = await core.invite({
        callId,
        source: req.source_address ?? '',
        localAddress,
        contentType: req.get('Content-Type'),
        body: req.body ?? '',
        initial: !tagOf(req.get('To')),
      });
      if (cancelled) return;
      // Delayed offer: srf hands us the ACK (with the SRC's answer; parsed from ack.body, like the INVITE's).
      const onAck = r.offer
        ? (ack: SrfReq) => {
            received(ack);
            void core.ack(callId, ack.get('Content-Type'), ack.body ?? '').then((ok) => {
              if (!ok) metrics.badInput('sip', 'delayed-offer-failed');
            });
          }
        : undefined;
      // Same headers as the embedded front; drachtio-server writes its own Contact, so the RFC 7866
      // +sip.srs tag is set through drachtio's contact configuration (docs/sbc.md).
      if (r.status >= 200 && r.status < 300) answer(req, res, r.status, r.reason, { ...r.headers, 'Content-Type': 'application/sdp', Allow: ALLOW, Supported: 'siprec' }, r.sdp, onAck);
      else answer(req, res, r.status, r.reason, r.headers, undefined, undefined, r.why);
    },
    bye(req: SrfReq, res: SrfRes): void {
      metrics.sipRequests.inc({ method: 'BYE' });
      received(req);
      if (core.bye(req.get('Call-ID') ?? '')) answer(req, res, 200, 'OK');
      else answer(req, res, 481, 'Call/Transaction Does Not Exist', {}, undefined, undefined, 'no-dialog');
    },
    options(req: SrfReq, res: SrfRes): void {
      metrics.sipRequests.inc({ method: methodLabel(req.method) });
      received(req);
      if (!core.admits(req.source_address ?? '')) return answer(req, res, 403, 'Forbidden', {}, undefined, undefined, 'forbidden-source');
      if (core.atCapacity()) return answer(req, res, 503, 'Service Unavailable', { 'Retry-After': String(core.retryAfterSeconds) }, undefined, undefined, 'at-capacity');
      answer(req, res, 200, 'OK', { Allow: ALLOW, Accept: ACCEPT, Supported: 'siprec' });
    },
  };
}

export function startDrachtioFront(d: { core: SrsCore; log: Logger; metrics: IngestMetrics; trace?: SipTrace }, o: DrachtioOptions): SipFront {
  const { core, log, metrics } = d;
  const srf = new Srf();
  const h = drachtioHandlers(core, metrics, o.localAddress || firstInterfaceAddress(), d.trace);
  const safe = (fn: (req: SrfReq, res: SrfRes) => unknown) => (req: unknown, res: unknown) => {
    Promise.resolve(fn(req as SrfReq, res as SrfRes)).catch((err: unknown) => log.error({ err }, 'drachtio request failed'));
  };
  // srf registers a handler per SIP method (srf.bye etc. come from its method list, untyped).
  const methods = srf as unknown as Record<'invite' | 'bye' | 'options', (fn: (req: unknown, res: unknown) => void) => void>;
  methods.invite(safe(h.invite));
  methods.bye(safe(h.bye));
  methods.options(safe(h.options));
  // Connection state for /readyz: SIPREC only reaches us while the control connection is up.
  let state: { ok: boolean; detail: string } = { ok: false, detail: `connecting to drachtio-server at ${o.host}:${o.port}` };
  const down = (why: string) => (state = { ok: false, detail: `drachtio-server at ${o.host}:${o.port} not connected: ${why}` });
  srf.on('connect', (err: Error | null, hostport: string) => {
    if (err) {
      down(err.message);
      log.warn({ err: err.message }, 'drachtio connect failed');
    } else {
      state = { ok: true, detail: `connected to drachtio-server at ${o.host}:${o.port}` };
      log.info({ hostport }, 'connected to drachtio-server');
    }
  });
  // Without an 'error' listener a dropped connection would throw; srf then reconnects with backoff.
  srf.on('error', (err: Error) => {
    if (!state.ok) down(err.message);
    log.warn({ err: err.message }, 'drachtio connection error');
  });
  const events = srf as unknown as { on(e: 'reconnecting' | 'close', fn: (a: { delay: number; attempt: number }) => void): void };
  events.on('close', () => down('connection closed'));
  events.on('reconnecting', (a) => {
    down(`reconnecting (attempt ${a.attempt})`);
    log.info({ delayMs: a.delay, attempt: a.attempt }, 'reconnecting to drachtio-server');
  });
  void srf.connect({ host: o.host, port: o.port, secret: o.secret, reconnect: { retryMaxDelay: o.retryMaxDelayMs ?? 10000 } } as Srf.SrfConfig);
  return {
    address: () => ({ udp: 0, tcp: 0 }),
    status: () => state,
    close: async () => {
      // srf has no "stop reconnecting": mark its wire protocol closing and clear a pending retry.
      const wp = (srf as unknown as { _app?: { client?: { wp?: { closing: boolean; reconnectVars?: { retryTimer?: NodeJS.Timeout }; socket?: { destroy(): void } } } } })._app?.client?.wp;
      if (wp) {
        wp.closing = true;
        clearTimeout(wp.reconnectVars?.retryTimer);
        wp.socket?.destroy();
      }
    },
  };
}
