import { parse as parseSdp } from 'sdp-transform';
import type { Datagram } from './net.js';
import { endpoint } from './net.js';

// Finds calls in captured SIP: one dialog per Call-ID opened by an INVITE, with the media
// endpoints each side announced in SDP (initial offer/answer and any re-INVITE), so RTP can be
// paired to a call and a side by its destination address.

export type MediaCodec = 'pcmu' | 'pcma' | 'telephone-event' | 'other';

export interface Dialog {
  index: number;
  sipCallId: string;
  startMs: number;
  endMs?: number;
  /** Signalling address of the side that sent the initial INVITE. */
  callerSig: string;
  /** Media endpoints each side receives on ("ip:port"). */
  callerMedia: Set<string>;
  calleeMedia: Set<string>;
  payloadTypes: Map<number, MediaCodec>;
}

const REQUEST = /^([A-Z]+) \S+ SIP\/2\.0\r?$/;
const RESPONSE = /^SIP\/2\.0 (\d{3})/;

interface SipMessage {
  method?: string;
  status?: number;
  callId?: string;
  cseqMethod?: string;
  body: string;
  contentType: string;
}

export function parseSip(payload: Buffer): SipMessage | undefined {
  const text = payload.toString('latin1');
  const firstEnd = text.indexOf('\n');
  if (firstEnd < 0) return undefined;
  const first = text.slice(0, firstEnd);
  const req = REQUEST.exec(first);
  const res = req ? null : RESPONSE.exec(first);
  if (!req && !res) return undefined;
  const sep = /\r?\n\r?\n/.exec(text);
  const head = sep ? text.slice(firstEnd + 1, sep.index) : text.slice(firstEnd + 1);
  let body = sep ? text.slice(sep.index + sep[0].length) : '';
  const msg: SipMessage = { method: req?.[1], status: res ? Number(res[1]) : undefined, body: '', contentType: '' };
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    if (name === 'call-id' || name === 'i') msg.callId = value;
    else if (name === 'cseq') msg.cseqMethod = value.split(/\s+/)[1]?.toUpperCase();
    else if (name === 'content-type' || name === 'c') msg.contentType = value.toLowerCase();
    else if (name === 'content-length' || name === 'l') {
      const n = Number(value);
      if (Number.isInteger(n) && n >= 0) body = body.slice(0, n);
    }
  }
  msg.body = body;
  return msg;
}

const STATIC_PT: Record<number, MediaCodec> = { 0: 'pcmu', 8: 'pcma' };

/** Audio endpoints and payload-type names from an SDP body; undefined if it is not SDP. */
export function sdpMedia(body: string): { endpoints: string[]; pts: Map<number, MediaCodec> } | undefined {
  let sdp: ReturnType<typeof parseSdp>;
  try {
    sdp = parseSdp(body);
  } catch {
    return undefined;
  }
  const endpoints: string[] = [];
  const pts = new Map<number, MediaCodec>();
  for (const m of sdp.media ?? []) {
    if (m.type !== 'audio' || !m.port) continue;
    // String(): sdp-transform turns numeric-looking fields ("c=IN IP4 1", "a=rtpmap:0 1/8000") into numbers.
    const ip = m.connection?.ip ?? sdp.connection?.ip;
    if (ip) endpoints.push(endpoint(String(ip), m.port));
    for (const pt of String(m.payloads ?? '').split(/\s+/).map(Number)) if (pt in STATIC_PT) pts.set(pt, STATIC_PT[pt]);
    for (const r of m.rtp ?? []) {
      const name = String(r.codec).toLowerCase();
      pts.set(r.payload, name === 'pcmu' ? 'pcmu' : name === 'pcma' ? 'pcma' : name === 'telephone-event' ? 'telephone-event' : 'other');
    }
  }
  return { endpoints, pts };
}

export class DialogTracker {
  readonly dialogs: Dialog[] = [];
  readonly #byCallId = new Map<string, Dialog>();
  /** Media endpoint → every dialog side that announced it, in time order (ports get reused). */
  readonly #media = new Map<string, { dialog: Dialog; receiver: 'caller' | 'callee'; fromMs: number }[]>();

  /** Which dialog side receives RTP sent to `dst` at `tsMs`: the latest announcement before it. */
  receiverOf(dst: string, tsMs: number): { dialog: Dialog; receiver: 'caller' | 'callee' } | undefined {
    const list = this.#media.get(dst);
    if (!list) return undefined;
    let found: { dialog: Dialog; receiver: 'caller' | 'callee' } | undefined;
    // One second of slack: a SPAN port may timestamp the RTP a little before the SDP carrying it.
    for (const e of list) if (e.fromMs <= tsMs + 1000) found = e;
    return found;
  }

  /** Feeds one UDP datagram; returns false when it is not SIP. */
  feed(d: Datagram): boolean {
    const msg = parseSip(d.payload);
    if (!msg) return false;
    if (!msg.callId) return true;
    let dialog = this.#byCallId.get(msg.callId);
    if (!dialog && msg.method === 'INVITE') {
      dialog = { index: this.dialogs.length, sipCallId: msg.callId, startMs: d.tsMs, callerSig: d.src, callerMedia: new Set(), calleeMedia: new Set(), payloadTypes: new Map() };
      this.dialogs.push(dialog);
      this.#byCallId.set(msg.callId, dialog);
    }
    if (!dialog) return true;
    if (msg.method === 'BYE' || (msg.method === 'CANCEL' && dialog.endMs === undefined)) dialog.endMs = d.tsMs;
    if (msg.contentType.startsWith('application/sdp') && msg.body) {
      const sdp = sdpMedia(msg.body);
      if (sdp) {
        // Requests come from their sender; responses travel back to the request's sender.
        const fromCaller = msg.method ? d.src === dialog.callerSig : d.dst !== dialog.callerSig;
        const side = fromCaller ? 'caller' : 'callee';
        for (const ep of sdp.endpoints) {
          (fromCaller ? dialog.callerMedia : dialog.calleeMedia).add(ep);
          const list = this.#media.get(ep) ?? [];
          if (!list.some((e) => e.dialog === dialog && e.receiver === side)) list.push({ dialog, receiver: side, fromMs: d.tsMs });
          this.#media.set(ep, list);
        }
        for (const [pt, codec] of sdp.pts) if (!dialog.payloadTypes.has(pt) || codec !== 'other') dialog.payloadTypes.set(pt, codec);
      }
    }
    return true;
  }
}
