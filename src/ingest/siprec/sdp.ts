// SDP offer analysis and answer building for the SRS side (RFC 7866 §8): one answered m-line per
// offered one, `recvonly` for recorded streams, port 0 for refused ones, codec chosen in the
// SRC's preference order among those we decode.
import sdpTransform from 'sdp-transform';
import { isDecodable, STATIC_PAYLOADS, type CodecSpec } from '../codecs/index.js';
import { chooseCrypto, CryptoAttributeError, parseCrypto, type CryptoOffer } from '../rtp/srtp.js';
import { EarshotError } from '../../errors.js';

/** rtp.srtp: whether RTP/SAVP(F) with SDES keys is accepted, required, or refused. */
export type SrtpPolicy = 'optional' | 'required' | 'off';
/** Why a stream with a codec we decode was still refused (port 0), for metrics. */
export type SrtpRefusal = 'srtp-suite' | 'srtp-off' | 'srtp-required';

export class SdpError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_SDP';
  constructor(readonly reason: 'malformed' | 'no-media') {
    super('EARSHOT_ERR_SDP', undefined, { message: `bad SDP: ${reason}` });
    this.name = 'SdpError';
  }
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface Payload extends CodecSpec {
  pt: number;
}

export interface OfferedStream {
  index: number;
  type: string;
  port: number;
  proto: string;
  fmts: string;
  /** a=label, or the m-line index when the SRC sent none. */
  label: string;
  /** Media-level c= or the session-level one. */
  addr: string;
  direction: Direction;
  /** First offered payload we decode; undefined when none. */
  codec?: Payload;
  /** RFC 4733 telephone-event at the codec's clock rate, if offered. */
  dtmf?: Payload;
  /** RTP/SAVP or RTP/SAVPF: media is SRTP keyed by `crypto` (SDES). */
  secure: boolean;
  /** The offered a=crypto line we use (RFC 4568: the first one we support). */
  crypto?: CryptoOffer;
  /** Set when the stream is refused for SRTP reasons (codec is then undefined). */
  refusal?: SrtpRefusal;
  /** a=crypto lines of a supported suite that did not parse (counted, skipped). */
  badCrypto: string[];
}

export function parseOffer(sdp: string, policy: SrtpPolicy = 'optional'): OfferedStream[] {
  if (!/^v=0/m.test(sdp)) throw new SdpError('malformed');
  let parsed: sdpTransform.SessionDescription;
  try {
    parsed = sdpTransform.parse(sdp);
  } catch {
    throw new SdpError('malformed');
  }
  if (!parsed.media || parsed.media.length === 0) throw new SdpError('no-media');
  const sessionAddr = String(parsed.connection?.ip ?? '');
  const sessionDir = (parsed as { direction?: Direction }).direction ?? 'sendrecv';
  return parsed.media.map((m, index) => {
    const fmts = String(m.payloads ?? '').trim();
    const rtpmap = new Map<number, Payload>();
    for (const r of m.rtp ?? []) {
      // String(): sdp-transform turns a numeric encoding name ("a=rtpmap:101 1/8000") into a number.
      rtpmap.set(r.payload, { pt: r.payload, name: String(r.codec).toUpperCase(), clockRate: r.rate ?? 8000, channels: r.encoding ? Number(r.encoding) : undefined });
    }
    const payloads: Payload[] = [];
    for (const f of fmts.split(/\s+/)) {
      const pt = Number(f);
      if (!Number.isInteger(pt) || pt < 0 || pt > 127) continue;
      const p = rtpmap.get(pt) ?? (STATIC_PAYLOADS[pt] ? { pt, ...STATIC_PAYLOADS[pt] } : undefined);
      if (p) payloads.push(p);
    }
    // RTP/AVP, RTP/AVPF, RTP/SAVP, RTP/SAVPF; not UDP/TLS/RTP/SAVP (DTLS-SRTP, unsupported).
    const isRtp = /^RTP\/S?AVPF?$/i.test(String(m.protocol));
    const secure = /^RTP\/SAVPF?$/i.test(String(m.protocol));
    const cryptos: CryptoOffer[] = [];
    const badCrypto: string[] = [];
    for (const c of (m as { crypto?: { id: number; suite: string; config: string; sessionConfig?: string }[] }).crypto ?? []) {
      try {
        cryptos.push(parseCrypto(`${c.id} ${c.suite} ${c.config}${c.sessionConfig ? ` ${c.sessionConfig}` : ''}`));
      } catch (err) {
        if (!(err instanceof CryptoAttributeError)) throw err;
        badCrypto.push(err.reason);
      }
    }
    const crypto = secure ? chooseCrypto(cryptos) : undefined;
    let refusal: SrtpRefusal | undefined;
    if (secure && policy === 'off') refusal = 'srtp-off';
    else if (secure && !crypto) refusal = 'srtp-suite';
    else if (!secure && policy === 'required') refusal = 'srtp-required';
    const found = m.type === 'audio' && isRtp && m.port !== 0 ? payloads.find((p) => p.name !== 'TELEPHONE-EVENT' && isDecodable(p)) : undefined;
    const codec = refusal ? undefined : found;
    if (!found) refusal = undefined;
    const dtmf = codec ? payloads.find((p) => p.name === 'TELEPHONE-EVENT' && p.clockRate === codec.clockRate) : undefined;
    return {
      index,
      type: m.type,
      port: m.port,
      proto: m.protocol,
      fmts: fmts || '0',
      label: m.label !== undefined ? String(m.label) : String(index),
      addr: String(m.connection?.ip ?? sessionAddr),
      direction: (m.direction as Direction | undefined) ?? sessionDir,
      codec,
      dtmf,
      secure,
      crypto,
      refusal,
      badCrypto,
    };
  });
}

/**
 * The offered streams a call records, in offer order: one per label (a repeated label would share
 * a leg) and at most `max` together with the labels already recorded (`kept`, from a re-INVITE).
 * The others are answered with port 0 and never bound (sip.maxStreamsPerCall).
 */
export function selectStreams(candidates: OfferedStream[], kept: ReadonlySet<string>, max: number): { chosen: OfferedStream[]; refused: number } {
  const labels = new Set(kept);
  const chosen: OfferedStream[] = [];
  let refused = 0;
  for (const o of candidates) {
    if (labels.has(o.label) || labels.size >= max) {
      refused++;
      continue;
    }
    labels.add(o.label);
    chosen.push(o);
  }
  return { chosen, refused };
}

/** `sendonly`/`sendrecv` from the SRC means media flows; anything else is hold. */
export const flows = (d: Direction): boolean => d === 'sendonly' || d === 'sendrecv';

export interface AnsweredStream {
  offer: OfferedStream;
  /** 0 refuses the stream. */
  port: number;
  /** Our a=crypto value (tag, suite, our key) for an SRTP stream. */
  crypto?: string;
}

export function buildAnswer(streams: AnsweredStream[], o: { addr: string; sessionId: number; version: number }): string {
  const ipVer = o.addr.includes(':') ? 'IP6' : 'IP4';
  const lines = ['v=0', `o=earshot ${o.sessionId} ${o.version} IN ${ipVer} ${o.addr}`, 's=earshot', `c=IN ${ipVer} ${o.addr}`, 't=0 0'];
  for (const { offer, port, crypto } of streams) {
    if (port === 0 || !offer.codec) {
      lines.push(`m=${offer.type} 0 ${offer.proto} ${offer.fmts}`);
      if (offer.label) lines.push(`a=label:${offer.label}`);
      continue;
    }
    const c = offer.codec;
    const pts = offer.dtmf ? `${c.pt} ${offer.dtmf.pt}` : `${c.pt}`;
    lines.push(`m=audio ${port} ${offer.proto} ${pts}`);
    lines.push(`a=rtpmap:${c.pt} ${rtpmapName(c)}/${c.clockRate}${c.channels && c.channels > 1 ? `/${c.channels}` : ''}`);
    if (offer.dtmf) {
      lines.push(`a=rtpmap:${offer.dtmf.pt} telephone-event/${offer.dtmf.clockRate}`);
      lines.push(`a=fmtp:${offer.dtmf.pt} 0-16`);
    }
    if (crypto) lines.push(`a=crypto:${crypto}`);
    lines.push(`a=label:${offer.label}`);
    lines.push(flows(offer.direction) ? 'a=recvonly' : 'a=inactive');
  }
  return lines.join('\r\n') + '\r\n';
}

function rtpmapName(c: Payload): string {
  return c.name === 'OPUS' ? 'opus' : c.name;
}
