// The SRS's own SDP offer, for a SIPREC INVITE or re-INVITE that came without one (delayed offer).
/** Codecs we offer when the SRC leaves the offer to us (delayed offer), in our preference order. */
const DELAYED_OFFER_PTS = '0 8 9 101';
const DELAYED_OFFER_MAPS = ['a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:9 G722/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'];

export function delayedOffer(streams: { label: string; port: number }[], addr: string, sessionId: number, version: number): string {
  const ipVer = addr.includes(':') ? 'IP6' : 'IP4';
  const lines = ['v=0', `o=earshot ${sessionId} ${version} IN ${ipVer} ${addr}`, 's=earshot', `c=IN ${ipVer} ${addr}`, 't=0 0'];
  for (const s of streams) lines.push(`m=audio ${s.port} RTP/AVP ${DELAYED_OFFER_PTS}`, ...DELAYED_OFFER_MAPS, `a=label:${s.label}`, 'a=recvonly');
  return lines.join('\r\n') + '\r\n';
}
