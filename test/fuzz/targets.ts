// The fuzz targets: every parser that meets bytes from the network or from a file, each with a
// seed corpus of valid inputs in the shapes real peers send. A target calls the parser the way
// the product does (SIP message → SIPREC body → SDP + metadata → roles, pcap → UDP → SIP/RTP)
// so that what one layer accepts is fed to the next.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PipelineBus } from '../../src/call/events.js';
import { createDecoder, type Decoder } from '../../src/ingest/codecs/index.js';
import { parseSipMessage, header } from '../../src/ingest/sip/message.js';
import { parseSiprecBody } from '../../src/ingest/siprec/body.js';
import { parseOffer, selectStreams } from '../../src/ingest/siprec/sdp.js';
import { checkKey, resolveIngestKeys } from '../../src/ingest/fork/keys.js';
import { validateConfig } from '../../src/config/index.js';
import { parseMetadata } from '../../src/ingest/siprec/metadata.js';
import { assignRoles } from '../../src/ingest/siprec/roles.js';
import { buildRtp, parseRtp } from '../../src/ingest/rtp/packet.js';
import { parseCrypto, SrtpKey, SrtpReceiver } from '../../src/ingest/rtp/srtp.js';
import { protect, rtpPacket, sessionKeys } from '../fixtures/srtp-ref.js';
import { decodeHep3, encodeHep3 } from '../../src/ingest/sip/hep.js';
import { redactSip } from '../../src/ingest/sip/trace.js';
import { parseControl } from '../../src/ingest/fork/ari.js';
import { chooseMedia, durationMs } from '../../src/ingest/fork/audiohook.js';
import { readSetup } from '../../src/ingest/fork/l16-fork.js';
import { Aligner, LegFramer, splitG711, splitL16 } from '../../src/ingest/fork/framer.js';
import { ULAW_TABLE } from '../../src/ingest/codecs/g711.js';
import type { Target } from './engine.js';
import { alarmRuleTarget, configTarget, importTargets, ruleTarget } from './targets-files.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// bench/fuzz.ts runs from dist/: find the repository either way.
const REPO = ROOT.endsWith(`${path.sep}dist`) ? path.dirname(ROOT) : ROOT;
const B = (s: string) => Buffer.from(s);

const sdp = (labels: string[], pts = '0 8 9 101') =>
  ['v=0', 'o=src 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0',
    ...labels.flatMap((l, i) => [`m=audio ${20000 + 2 * i} RTP/AVP ${pts}`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:9 G722/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', `a=label:${l}`, 'a=sendonly'])].join('\r\n') + '\r\n';

const metadata = (ns = 'urn:ietf:params:xml:ns:recording:1') => [
  '<?xml version="1.0" encoding="UTF-8"?>',
  `<recording xmlns="${ns}">`,
  '<datamode>complete</datamode>',
  '<session session_id="c2Vzc2lvbg=="><sipSessionID>abc;remote=def</sipSessionID></session>',
  '<participant participant_id="cA=="><nameID aor="sip:+15551234567@pbx"><name xml:lang="en">Cust</name></nameID></participant>',
  '<participant participant_id="cB=="><nameID aor="sip:1001@pbx"/></participant>',
  '<stream stream_id="c1==" session_id="c2Vzc2lvbg=="><label>1</label></stream>',
  '<stream stream_id="c2==" session_id="c2Vzc2lvbg=="><label>2</label></stream>',
  '<participantstreamassoc participant_id="cA=="><send>c1==</send><recv>c2==</recv></participantstreamassoc>',
  '<participantstreamassoc participant_id="cB=="><send>c2==</send><recv>c1==</recv></participantstreamassoc>',
  '</recording>',
].join('\r\n');

const multipart = (boundary: string, parts: [string, string][], eol = '\r\n') =>
  parts.map(([type, body]) => `--${boundary}${eol}Content-Type: ${type}${eol}${type.includes('metadata') ? `Content-Disposition: recording-session${eol}` : ''}${eol}${body}${eol}`).join('') + `--${boundary}--${eol}`;

const invite = (ct: string, body: string, eol = '\r\n', method = 'INVITE') =>
  [`${method} sip:srs@10.0.0.2:5060 SIP/2.0`, 'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds', 'Max-Forwards: 70',
    'From: <sip:src@10.0.0.1>;tag=1928301774', 'To: <sip:srs@10.0.0.2>', 'Call-ID: a84b4c76e66710@10.0.0.1', `CSeq: 314159 ${method}`,
    'Contact: <sip:src@10.0.0.1>;+sip.src', 'Require: siprec', `Content-Type: ${ct}`, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join(eol);

const SIP_TOKENS = ['INVITE', 'SIP/2.0', 'Content-Length: ', 'Content-Type: ', 'multipart/mixed;boundary=', 'application/sdp', 'application/rs-metadata+xml', 'CSeq: ', 'Via: ', 'l: ', 'i: ', 'm=audio ', 'a=label:', 'a=rtpmap:', '--', 'boundary=', ';', '\r\n '];
const XML_TOKENS = ['<participant', '</participant>', '<stream', '<label>', '</label>', '<nameID aor="', '<send>', '</send>', '<!--', '<![CDATA[', '&amp;', '&#x0;', '<!DOCTYPE a [<!ENTITY x "y">]>', 'xmlns="', '"/>', '>'];

const BOUNDARY = 'OSS-unique-boundary-42';
const SIPREC_BODY = multipart(BOUNDARY, [['application/sdp', sdp(['1', '2'])], ['application/rs-metadata+xml', metadata()]]);

// The default SIP limits (config: sip.maxHeaders, sip.maxVias, sip.maxStreamsPerCall).
const LIMITS = { maxBytes: 65535, maxHeaders: 128, maxVias: 16 };
const MAX_STREAMS = 4;

/** The recording-stream cap's invariant: never more than the cap, never one label twice. */
function capStreams(streams: ReturnType<typeof parseOffer>): void {
  const { chosen, refused } = selectStreams(streams.filter((o) => o.codec), new Set(), MAX_STREAMS);
  if (chosen.length > MAX_STREAMS || new Set(chosen.map((o) => o.label)).size !== chosen.length || chosen.length + refused !== streams.filter((o) => o.codec).length) {
    throw new Error(`stream cap broken: ${chosen.length} chosen, ${refused} refused`);
  }
}

/** The embedded SIP front's path for one datagram: message → body parts → SDP (capped), metadata, roles. */
function sipPath(buf: Buffer, stream: boolean): void {
  const msg = parseSipMessage(buf, { ...LIMITS, stream });
  const parts = parseSiprecBody(header(msg, 'content-type'), msg.body);
  const streams = parts.sdp ? parseOffer(parts.sdp) : [];
  capStreams(streams);
  const meta = parts.metadata ? parseMetadata(parts.metadata) : undefined;
  assignRoles(streams.map((s) => s.label), meta);
}

function sipTargets(): Target[] {
  const seeds = [
    invite(`multipart/mixed;boundary=${BOUNDARY}`, SIPREC_BODY),
    invite(`multipart/mixed; boundary="${BOUNDARY}"`, multipart(BOUNDARY, [['application/sdp', sdp(['10', '11'])], ['application/rs-metadata', metadata()]], '\n'), '\n'),
    invite('application/sdp', sdp(['1'], '8 0')),
    invite('application/rs-metadata+xml', metadata(), '\r\n', 'UPDATE'),
    ['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'i: x@y', 'CSeq: 1 INVITE', 'l: 0', '', ''].join('\r\n'),
    ['OPTIONS sip:srs@10.0.0.2 SIP/2.0', 'v: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK2', 'f: <sip:a@b>;tag=1', 't: <sip:c@d>', 'i: y@z', 'CSeq: 7 OPTIONS', 'Subject: folded', ' continuation', 'l: 0', '', ''].join('\r\n'),
    // At the limits: 16 Vias (two on one line), 60 m-lines (4 recorded), a repeated label.
    ['OPTIONS sip:srs@10.0.0.2 SIP/2.0', ...Array.from({ length: 14 }, (_, i) => `Via: SIP/2.0/UDP 10.0.0.${i + 1};branch=z9hG4bKv${i}`), 'Via: SIP/2.0/UDP 10.0.1.1;branch=z9hG4bKa, SIP/2.0/UDP 10.0.1.2;branch=z9hG4bKb', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>', 'Call-ID: vias', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n'),
    invite('application/sdp', sdp(Array.from({ length: 60 }, (_, i) => String(i % 50)))),
  ].map(B);
  return [
    { name: 'sip-udp', seeds, tokens: SIP_TOKENS, maxLen: 70000, run: (b) => sipPath(b, false) },
    { name: 'sip-tcp', seeds, tokens: SIP_TOKENS, maxLen: 70000, run: (b) => sipPath(b, true) },
    {
      // The body alone, with the content type carried in front of it (first line) so both mutate.
      name: 'siprec-body',
      seeds: [`multipart/mixed;boundary=${BOUNDARY}\n${SIPREC_BODY}`, `multipart/mixed\n${SIPREC_BODY}`, `application/sdp\n${sdp(['a'])}`, `multipart/related; boundary="${BOUNDARY}"\n${SIPREC_BODY.replace(/\r\n/g, '\n')}`].map(B),
      tokens: SIP_TOKENS,
      run(b) {
        const s = b.toString('utf8');
        const nl = s.indexOf('\n');
        const parts = parseSiprecBody(nl < 0 ? s : s.slice(0, nl), nl < 0 ? '' : s.slice(nl + 1));
        if (parts.sdp) parseOffer(parts.sdp);
        if (parts.metadata) parseMetadata(parts.metadata);
      },
    },
    {
      name: 'sdp',
      seeds: [sdp(['1', '2']), sdp(['x'], '96 101').replace('a=rtpmap:0', 'a=rtpmap:96 opus/48000/2\r\na=rtpmap:0'), sdp(['1'], '18'), 'v=0\no=- 0 0 IN IP6 ::1\ns=-\nc=IN IP6 ::1\nt=0 0\nm=audio 0 RTP/SAVP 0\na=inactive\n', sdp(['s']).replace(/RTP\/AVP/g, 'RTP/SAVP').replace('a=sendonly', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(30, 9).toString('base64')}|2^31\r\na=sendonly`)].map(B),
      tokens: ['a=crypto:', 'AES_CM_128_HMAC_SHA1_80', 'inline:', 'RTP/SAVP', 'm=audio ', 'a=rtpmap:', 'a=label:', 'c=IN IP4 ', 'RTP/AVP', '/8000', '/48000/2', 'a=sendonly', 'a=inactive', 'a=fmtp:', '\r\n'],
      run: (b) => capStreams(parseOffer(b.toString('utf8'))),
    },
    {
      name: 'rs-metadata',
      seeds: [metadata(), metadata().replace(/\r\n/g, ''), metadata('urn:ietf:params:xml:ns:recording')].map(B),
      tokens: XML_TOKENS,
      run(b) {
        const meta = parseMetadata(b.toString('utf8'));
        assignRoles(['1', '2'], meta);
      },
    },
  ];
}

function rtpTarget(): Target {
  const payload = Buffer.alloc(160, 0x55);
  const seeds = [
    buildRtp({ payloadType: 0, seq: 1, timestamp: 160, ssrc: 0x1234, payload }),
    buildRtp({ payloadType: 8, seq: 65535, timestamp: 0xffffffff, ssrc: 1, marker: true, payload, csrc: [1, 2, 3] }),
    buildRtp({ payloadType: 101, seq: 9, timestamp: 9, ssrc: 9, payload: Buffer.from([5, 0x80, 0, 160]), extension: Buffer.alloc(8, 1), padding: 4 }),
    Buffer.from([0x80, 0xc8, 0, 6, 0, 0, 0, 1]), // RTCP SR on the RTP port
  ];
  return { name: 'rtp', seeds, maxLen: 1600, run: (b) => void parseRtp(b) };
}

// SDES a=crypto values and the SRTP unprotect path (auth check, decrypt, then the RTP parser as
// the receiver feeds it). Seeds are valid packets from the independent RFC 3711 sender.
function srtpTargets(): Target[] {
  const key = Buffer.from(Array.from({ length: 30 }, (_, i) => i * 7));
  const b64 = key.toString('base64');
  const keys = sessionKeys(key.subarray(0, 16), key.subarray(16));
  const ours = new SrtpKey('AES_CM_128_HMAC_SHA1_80');
  return [
    {
      name: 'sdes-crypto',
      seeds: [`1 AES_CM_128_HMAC_SHA1_80 inline:${b64}|2^31`, `2 AES_CM_128_HMAC_SHA1_32 inline:${b64}|2^20|1:4`, `3 AEAD_AES_128_GCM inline:${key.subarray(0, 28).toString('base64')}`, `1 AES_CM_128_HMAC_SHA1_80 inline:${b64} KDR=20 UNENCRYPTED_SRTCP`].map(B),
      tokens: ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM', 'inline:', '|2^31', '|1:4', ';', ' ', '=='],
      run: (b) => void parseCrypto(b.toString('utf8')),
    },
    {
      name: 'srtp-unprotect',
      seeds: [rtpPacket(0, 1, 160, 0x1234, Buffer.alloc(160, 0x55)), rtpPacket(8, 65535, 0, 1, Buffer.alloc(20)), rtpPacket(101, 9, 9, 9, Buffer.from([5, 0x80, 0, 160]))].map((p) => protect(keys, p)),
      maxLen: 1600,
      run(b) {
        // A fresh context per input: the rollover state must not make runs depend on each other.
        const r = new SrtpReceiver({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', key: key.subarray(0, 16), salt: key.subarray(16) }, ours).unprotect(b);
        if (r.ok) parseRtp(r.packet);
      },
    },
  ];
}

// The SIP log's debug redaction (any text: must never throw, and no number may survive as a URI
// user part) and the HEP v3 decoder (a coded rejection for anything malformed).
function sipTraceTargets(): Target[] {
  const invite = 'INVITE sip:+4930123456@srs SIP/2.0\r\nFrom: "Jane" <sip:+15550001111@x>;tag=1\r\nTo: <tel:+1-555-000-1111>\r\nCall-ID: a@b\r\nCSeq: 1 INVITE\r\nX-Num: (030) 1234-5678\r\n\r\n<name>Jane</name>';
  const hep = (payload: string, ip6 = false) => encodeHep3({ srcIp: ip6 ? '2001:db8::1' : '10.0.0.1', srcPort: 5060, dstIp: '127.0.0.1', dstPort: 5062, transport: 'udp', timeMs: 1e12, captureId: 7, password: 'p', correlationId: 'a@b', payload: Buffer.from(payload) });
  return [
    {
      name: 'sip-redact',
      seeds: [invite, 'SIP/2.0 200 OK\r\nContact: <sip:srs@10.0.0.1:5060>;+sip.srs\r\n\r\n'].map(B),
      tokens: ['sip:', 'sips:', 'tel:', '@', '<', '>', '"', 'From: ', 'Contact: ', '+4930123456', '<name>', '</name>', '\r\n'],
      run(b) {
        const out = redactSip(b.toString('utf8'));
        const left = /\b(?:sips?|tel):\+?\d{5,}@/i.exec(out);
        if (left) throw new Error(`number left in a URI: ${left[0]}`);
      },
    },
    { name: 'hep3', seeds: [hep(invite), hep('x', true)], maxLen: 4096, run: (b) => void decodeHep3(b) },
  ];
}

/** One decoder per codec, kept across inputs as a leg's decoder is (G.722 and Opus carry state). */
async function codecTargets(): Promise<Target[]> {
  const specs = [
    { name: 'PCMU', clockRate: 8000 }, { name: 'PCMA', clockRate: 8000 }, { name: 'G722', clockRate: 8000 },
    { name: 'L16', clockRate: 8000 }, { name: 'L16', clockRate: 16000, channels: 2 }, { name: 'OPUS', clockRate: 48000, channels: 2 },
  ];
  const out: Target[] = [];
  for (const spec of specs) {
    const dec: Decoder = await createDecoder(spec);
    const seeds = spec.name === 'OPUS'
      // TOC bytes of a few configurations (SILK NB 20 ms, CELT FB 20 ms, code 3 with padding) and filler.
      ? [Buffer.from([0x08, 0xff, 0xfe, 0x00]), Buffer.from([0xfc, ...Array(60).fill(0x77)]), Buffer.from([0x4b, 0x83, 0x01, ...Array(40).fill(0x11)]), Buffer.from([0xf8])]
      : [Buffer.alloc(160, 0xd5), Buffer.from(Array.from({ length: 320 }, (_, i) => (i * 37) & 0xff)), Buffer.alloc(1, 0x7f)];
    out.push({ name: `codec-${spec.name.toLowerCase()}${spec.channels === 2 ? '-stereo' : ''}`, seeds, maxLen: 1500, run: (b) => void dec.decode(b) });
  }
  return out;
}

function forkTargets(): Target[] {
  const bus = new PipelineBus();
  const framer = new LegFramer(bus, 'leg', 8000);
  return [
    {
      name: 'fork-ari-control',
      seeds: ['MEDIA_START connection_id:abc channel:PJSIP/1-0001 format:ulaw optimal_frame_size:160 ptime:20', '{"event":"MEDIA_XOFF","connection_id":"x"}', 'MEDIA_BUFFERING_COMPLETED', '{"type":"STATUS","queue_length":3}'].map(B),
      run(b) {
        const c = parseControl(b.toString('utf8'));
        if (c) void String(c.fields.format ?? '').length;
      },
    },
    {
      // An AudioHook text message as the handler reads it: JSON, its media offer and positions.
      name: 'fork-audiohook-message',
      seeds: [
        '{"version":"2","type":"open","seq":1,"clientseq":0,"id":"e160e428-53e2-487c-977d-96989bf5c99d","position":"PT0S","parameters":{"organizationId":"o","conversationId":"c","participant":{"id":"p","ani":"+1555","dnis":"+1800"},"media":[{"type":"audio","format":"PCMU","channels":["external","internal"],"rate":8000}],"language":"en-US"}}',
        '{"version":"2","type":"paused","seq":3,"clientseq":2,"id":"x","position":"PT12.34S","parameters":{"start":"PT1M2.5S","discarded":"PT0.2S"}}',
        '{"version":"2","type":"close","seq":9,"id":"x","position":"PT1H0M0.02S","parameters":{"reason":"end"}}',
      ].map(B),
      tokens: ['"PT', 'S"', '"channels":', '"media":', '[', ']', 'null', 'true', '1e999', '-0'],
      expected: (e) => e instanceof SyntaxError,
      run(b) {
        const msg = JSON.parse(b.toString('utf8')) as { position?: unknown; parameters?: Record<string, unknown> } | null;
        if (!msg || typeof msg !== 'object') return;
        durationMs(msg.position);
        const p = msg.parameters;
        if (p && typeof p === 'object') {
          chooseMedia(p.media);
          durationMs(p.start);
          durationMs(p.discarded);
        }
      },
    },
    {
      // mod_audio_fork / jambonz first text frame → call set-up; readSetup throws bounded reasons.
      name: 'fork-l16-setup',
      seeds: ['{"callSid":"abc","sampleRate":8000,"mixType":"stereo","agentId":"1001","queue":"sales"}', '{"uuid":"x","sampleRate":"16000","mix":"mono"}', '{}'].map(B),
      tokens: ['"sampleRate":', '"mixType":', '"stereo"', '"mixed"', '64000', '7999', '"8000"', '1.5'],
      expected: (e) => e instanceof SyntaxError || (e instanceof Error && /^bad-(sample-rate|mix)$/.test(e.message)),
      run(b) {
        const meta = JSON.parse(b.toString('utf8')) as unknown;
        readSetup(meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : {}, {});
      },
    },
    {
      // Binary audio frames of any length through the framing every fork uses: first byte picks
      // the channel count, the rest is the frame (odd lengths and splits across messages included).
      name: 'fork-framing',
      seeds: [Buffer.alloc(321, 1), Buffer.alloc(641, 2), Buffer.alloc(2, 0), Buffer.alloc(1601, 0x33)],
      maxLen: 4096,
      run(b) {
        const channels = 1 + ((b[0] ?? 0) % 2);
        const body = b.subarray(1);
        const al = new Aligner(2 * channels);
        const half = body.length >> 1;
        for (const piece of [body.subarray(0, half), body.subarray(half)]) {
          const chans = splitL16(al.take(piece), channels);
          framer.push(chans[0]);
        }
        framer.push(splitG711(body, channels, ULAW_TABLE)[0]);
        framer.skip(body.length);
      },
    },
  ];
}

/**
 * The ingest door: any Authorization / X-API-KEY header value (Basic with broken base64, empty
 * Bearer, odd schemes, huge values) is checked against the keys without throwing, and only the
 * exact key opens; an unlisted protocol stays closed whatever is presented.
 */
function authTarget(): Target {
  const KEY = 'fuzz-ingest-key-0123456789';
  const keys = resolveIngestKeys(validateConfig({ forks: { apiKeys: [{ name: 'k1', key: KEY, protocols: ['jambonz'] }, { name: 'k2', keySha256: 'a'.repeat(64) }] } }));
  return {
    name: 'ingest-auth',
    seeds: [`Bearer ${KEY}`, `Basic ${Buffer.from(`u:${KEY}`).toString('base64')}`, `x-api-key ${KEY}`, 'Basic ====', 'Bearer '].map(B),
    tokens: ['Bearer ', 'Basic ', ':', '=', KEY, 'x-api-key '],
    maxLen: 4096,
    run(b) {
      const v = b.toString('latin1');
      const headers = v.startsWith('x-api-key ') ? { 'x-api-key': v.slice(10) } : { authorization: v };
      const r = checkKey(keys, 'jambonz', headers, '10.0.0.1');
      // Accepted only if the key itself was presented (plainly, or inside Basic's base64).
      const decoded = Buffer.from(v.replace(/^\S*\s*/, '').split(/\s/)[0] ?? '', 'base64').toString('utf8');
      if (r.ok && !v.includes(KEY) && !decoded.includes(KEY)) throw new Error(`key check accepted ${JSON.stringify(v.slice(0, 80))}`);
      if (!r.ok && (v === `Bearer ${KEY}` || v === `x-api-key ${KEY}`)) throw new Error('the exact key was refused');
      if (checkKey(keys, 'ari', headers, '10.0.0.1').ok) throw new Error('a protocol no key lists was opened');
    },
  };
}

/** Every target. `tmp` is a scratch directory (the config loader reads a real file). */
export async function allTargets(tmp: string): Promise<Target[]> {
  return [...sipTargets(), ...sipTraceTargets(), rtpTarget(), ...srtpTargets(), ...(await codecTargets()), ...forkTargets(), authTarget(), ruleTarget(REPO), alarmRuleTarget(REPO), configTarget(REPO, tmp), ...importTargets(REPO)];
}
