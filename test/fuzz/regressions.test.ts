// Inputs the fuzzer found that once threw something other than the parser's own error.
// Each stays here with the fix it needed.
import t from 'tap';
import { parseOffer } from '../../src/ingest/siprec/sdp.js';
import { parseSiprecBody } from '../../src/ingest/siprec/body.js';
import { DialogTracker, sdpMedia } from '../../src/ingest/import/sip-dialogs.js';
import { decodeRtp } from '../../src/ingest/import/rtp-pcm.js';

t.test('sdp: a numeric encoding name in a=rtpmap is a name, not a TypeError', async (t) => {
  // sdp-transform parses "a=rtpmap:101 1 0-15" with codec = 1 (a number); parseOffer called
  // .toUpperCase() on it and the SIPREC core answered 500 instead of treating it as an unknown codec.
  // Fixed in src/ingest/siprec/sdp.ts (String(r.codec)).
  const sdp = ['v=0', 'o=src 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0',
    'm=audio 20000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 1 0-15', 'a=label:1', 'a=sendonly', ''].join('\r\n');
  const [s] = parseOffer(sdp);
  t.equal(s.codec?.name, 'PCMU', 'the decodable codec is still chosen');
  t.equal(s.dtmf, undefined, 'the mangled telephone-event is not taken for DTMF');

  const only = sdp.replace('RTP/AVP 0 101', 'RTP/AVP 101');
  t.equal(parseOffer(only)[0].codec, undefined, 'alone it is an undecodable stream (488 upstream), not a throw');

  const body = `--b\r\nContent-Type: application/sdp\r\n\r\n${sdp}\r\n--b--\r\n`;
  t.ok(parseSiprecBody('multipart/mixed;boundary=b', body).sdp, 'the same SDP inside a SIPREC multipart');
  t.doesNotThrow(() => parseOffer(body.replace(/^[\s\S]*?v=0/, 'v=0').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 429496\0\0U/8000')));
});

t.test('pcap import: a numeric SDP address or codec name is not a TypeError', async (t) => {
  // The same sdp-transform coercion in the capture reader: "c=IN IP4 1" gave ip = 1 (a number) and
  // endpoint() called ip.includes(); a crafted capture failed its import with an uncoded TypeError.
  // Found by bench/fuzz.ts (import-pcap). Fixed in src/ingest/import/sip-dialogs.ts (String()).
  const sdp = ['v=0', 'o=- 1 1 IN IP4 1', 's=-', 'c=IN IP4 1', 't=0 0', 'm=audio 4000 RTP/AVP 0 8', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 1/8000', ''].join('\r\n');
  const media = sdpMedia(sdp);
  t.same(media?.endpoints, ['1:4000'], 'the address is kept as text');
  t.equal(media?.pts.get(8), 'other', 'a numeric encoding name is an unknown codec');

  const invite = [
    'INVITE sip:b@10.0.0.2 SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1', 'From: <sip:a@10.0.0.1>;tag=1', 'To: <sip:b@10.0.0.2>',
    'Call-ID: regress@10.0.0.1', 'CSeq: 1 INVITE', 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(sdp)}`, '', sdp,
  ].join('\r\n');
  const tracker = new DialogTracker();
  t.doesNotThrow(() => tracker.feed({ tsMs: 0, src: '10.0.0.1:5060', dst: '10.0.0.2:5060', payload: Buffer.from(invite) }));
  t.equal(tracker.dialogs.length, 1, 'the dialog is tracked');
  t.doesNotThrow(() => decodeRtp(tracker, []));
});

t.test('sdp: a numeric connection address stays a string in the offer', async (t) => {
  const [s] = parseOffer(['v=0', 'o=- 1 1 IN IP4 1', 's=-', 'c=IN IP4 1', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'a=label:1', ''].join('\r\n'));
  t.equal(s.addr, '1');
  t.equal(typeof s.addr, 'string');
});
