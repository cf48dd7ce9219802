// Field quirks from real SRCs, over a real UDP socket with hand-written messages so each quirk is
// byte-exact: bare LF (AudioCodes), legacy application/rs-metadata, boundary forms, Metaswitch's
// single mixed m-line, metadata-only and codec-change re-INVITEs, hold/resume, retransmissions.
import t from 'tap';
import dgram from 'node:dgram';
import { ALAW_TABLE } from '../../../src/ingest/codecs/g711.js';
import { buildRtp } from '../../../src/ingest/rtp/packet.js';
import { answerPorts, metadataXml, multipart, request, sdpOffer, tcpRequest, UdpClient } from '../sip/client.js';
import { legPcm, startIngest, waitFor } from './helpers.js';

const AGENT = { id: 'pa', aor: 'sip:2001@pbx.example', sends: 'st1' };
const CUSTOMER = { id: 'pc', aor: 'sip:+15550001111@carrier.example', sends: 'st2' };
const STREAMS = [{ id: 'st1', label: '1' }, { id: 'st2', label: '2' }];
const tagOf = (to: string | undefined) => /tag=([^;>\s]+)/.exec(to ?? '')?.[1];
type T = { teardown(fn: () => unknown): void };

async function setup(t: T) {
  const h = await startIngest(t);
  const c = await UdpClient.open(t, h.ingest.address().udp);
  return { h, c, port: h.ingest.address().udp };
}

const twoLeg = (meta?: string) =>
  multipart('b1', [
    { type: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }, { port: 40002, label: '2' }]) },
    ...(meta ? [{ type: 'application/rs-metadata+xml', body: meta }] : []),
  ]);

t.test('bare LF everywhere, legacy application/rs-metadata, quoted boundary', async (t) => {
  const { h, c, port } = await setup(t);
  const body = multipart('b1', [
    { type: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }, { port: 40002, label: '2' }]) },
    { type: 'application/rs-metadata', body: metadataXml([CUSTOMER, AGENT], STREAMS) },
  ]);
  const r = await c.request(request({ callId: 'lf-1', port, localPort: c.localPort, contentType: 'multipart/mixed; boundary="b1"', body, eol: '\n' }), '1 INVITE');
  t.equal(r?.status, 200);
  t.equal(answerPorts(r!.body).length, 2);
  t.match(r!.body, /a=recvonly/);
  t.equal(h.legs.find((l) => l.label === '1')?.role, 'agent');
  t.equal(h.legs.find((l) => l.label === '2')?.role, 'customer');
});

t.test('multipart without a boundary parameter', async (t) => {
  const { h, c, port } = await setup(t);
  const r = await c.request(request({ callId: 'nob-1', port, localPort: c.localPort, contentType: 'multipart/mixed', body: twoLeg(metadataXml([AGENT, CUSTOMER], STREAMS)) }), '1 INVITE');
  t.equal(r?.status, 200);
  t.equal(h.legs.length, 2);
});

t.test('Metaswitch single mixed m-line', async (t) => {
  const { h, c, port } = await setup(t);
  const meta = metadataXml([{ ...AGENT, sends: 'st1' }, { ...CUSTOMER, sends: 'st1' }], [{ id: 'st1', label: 'mix' }]);
  const body = multipart('b2', [
    { type: 'application/sdp', body: sdpOffer([{ port: 40000, label: 'mix' }]) },
    { type: 'application/rs-metadata+xml', body: meta },
  ]);
  const r = await c.request(request({ callId: 'mix-1', port, localPort: c.localPort, contentType: 'multipart/mixed;boundary=b2', body }), '1 INVITE');
  t.equal(r?.status, 200);
  t.equal(answerPorts(r!.body).length, 1);
  t.equal(h.legs.length, 1);
  t.equal(h.legs[0].role, 'mixed');
});

t.test('metadata-only re-INVITE updates roles without touching media', async (t) => {
  const { h, c, port } = await setup(t);
  const r1 = await c.request(request({ callId: 'meta-1', port, localPort: c.localPort, contentType: 'multipart/mixed;boundary=b1', body: twoLeg() }), '1 INVITE');
  t.equal(r1?.status, 200);
  t.equal(h.legs.find((l) => l.label === '1')?.role, 'customer', 'no metadata: first m-line is the customer');
  c.send(request({ method: 'ACK', callId: 'meta-1', port, localPort: c.localPort, toTag: tagOf(r1!.headers.to), contentType: '', body: '' }));
  const r2 = await c.request(
    request({ callId: 'meta-1', port, localPort: c.localPort, cseq: 2, toTag: tagOf(r1!.headers.to), contentType: 'application/rs-metadata+xml', body: metadataXml([AGENT, CUSTOMER], STREAMS) }),
    '2 INVITE',
  );
  t.equal(r2?.status, 200);
  t.same(answerPorts(r2!.body), answerPorts(r1!.body), 'same ports');
  t.equal(h.legs.find((l) => l.label === '1')?.role, 'agent', 'roles follow the new metadata');
  t.equal(h.legs.find((l) => l.label === '2')?.participant?.aor, CUSTOMER.aor);
  t.ok(h.events.some((e) => e.kind === 'metadata'));
  t.equal(h.calls.size, 1);
});

t.test('codec-change re-INVITE: G.729 refused with 488, PCMA accepted on the same port', async (t) => {
  const { h, c, port } = await setup(t);
  const r1 = await c.request(request({ callId: 'codec-1', port, localPort: c.localPort, contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }]) }), '1 INVITE');
  t.equal(r1?.status, 200);
  const tag = tagOf(r1!.headers.to);
  const g729 = sdpOffer([{ port: 40000, label: '1', pts: '18', rtpmap: ['a=rtpmap:18 G729/8000'] }]);
  const r2 = await c.request(request({ callId: 'codec-1', port, localPort: c.localPort, cseq: 2, toTag: tag, contentType: 'application/sdp', body: g729 }), '2 INVITE');
  t.equal(r2?.status, 488);
  t.equal(h.calls.size, 1, 'a refused re-offer leaves the call up');
  const pcma = sdpOffer([{ port: 40010, label: '1', pts: '8', rtpmap: ['a=rtpmap:8 PCMA/8000'] }]);
  const r3 = await c.request(request({ callId: 'codec-1', port, localPort: c.localPort, cseq: 3, toTag: tag, contentType: 'application/sdp', body: pcma }), '3 INVITE');
  t.equal(r3?.status, 200);
  t.same(answerPorts(r3!.body), answerPorts(r1!.body), 'same RTP port');
  t.match(r3!.body, /a=rtpmap:8 PCMA\/8000/);
  t.equal(h.legs[0].codec, 'PCMA');
  // PCMA audio from the newly offered source port decodes with the A-law table.
  const src = dgram.createSocket('udp4');
  await new Promise<void>((r) => src.bind(40010, '127.0.0.1', () => r()));
  t.teardown(() => src.close());
  const payload = Uint8Array.from({ length: 160 }, (_, i) => (i * 7) & 0xff);
  for (let k = 0; k < 5; k++) src.send(buildRtp({ payloadType: 8, seq: k, timestamp: k * 160, ssrc: 7, payload }), answerPorts(r3!.body)[0], '127.0.0.1');
  t.ok(await waitFor(() => legPcm(h, h.legs[0].legId).length >= 800));
  const got = legPcm(h, h.legs[0].legId);
  t.same(Array.from(got.subarray(0, 160)), Array.from(payload, (b) => ALAW_TABLE[b]));
});

t.test('hold and resume by re-INVITE', async (t) => {
  const { h, c, port } = await setup(t);
  const r1 = await c.request(request({ callId: 'hold-1', port, localPort: c.localPort, contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }, { port: 40002, label: '2' }]) }), '1 INVITE');
  const tag = tagOf(r1!.headers.to);
  const hold = sdpOffer([{ port: 40000, label: '1', dir: 'inactive' }, { port: 40002, label: '2', dir: 'inactive' }]);
  const r2 = await c.request(request({ callId: 'hold-1', port, localPort: c.localPort, cseq: 2, toTag: tag, contentType: 'application/sdp', body: hold }), '2 INVITE');
  t.equal(r2?.status, 200);
  t.match(r2!.body, /a=inactive/);
  t.equal(h.events.filter((e) => e.kind === 'hold').length, 2);
  const r3 = await c.request(request({ callId: 'hold-1', port, localPort: c.localPort, cseq: 3, toTag: tag, contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }, { port: 40002, label: '2' }]) }), '3 INVITE');
  t.equal(r3?.status, 200);
  t.equal(h.events.filter((e) => e.kind === 'resume').length, 2);
  t.same(answerPorts(r3!.body), answerPorts(r1!.body));
});

t.test('retransmissions: INVITE absorbed, 200 resent until ACK; CANCEL and BYE dialog matching', async (t) => {
  const { h, c, port } = await setup(t);
  const inv = request({ callId: 'rtx-1', port, localPort: c.localPort, branch: 'z9hG4bKfixed1', contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }]) });
  c.send(inv);
  c.send(inv);
  t.ok(await c.wait((r) => r.status === 200));
  t.equal(h.calls.size, 1, 'a retransmitted INVITE opens no second call');
  // No ACK yet: the 200 must come again (timer-driven, T1 = 500 ms).
  t.ok(await c.wait(() => c.responses.filter((r) => r.status === 200).length >= 3, 4000), '200 OK retransmitted while unacknowledged');
  const tag = tagOf(c.responses.find((r) => r.status === 200)!.headers.to);
  c.send(request({ method: 'ACK', callId: 'rtx-1', port, localPort: c.localPort, toTag: tag, contentType: '', body: '' }));
  const cancel = await c.request(request({ method: 'CANCEL', callId: 'rtx-1', port, localPort: c.localPort, branch: 'z9hG4bKfixed1', contentType: '', body: '' }), '1 CANCEL');
  t.equal(cancel?.status, 200, 'CANCEL after the answer is accepted and has no effect');
  t.equal(h.calls.size, 1);
  const stray = await c.request(request({ method: 'CANCEL', callId: 'nope', port, localPort: c.localPort, contentType: '', body: '' }), '1 CANCEL');
  t.equal(stray?.status, 481);
  const badBye = await c.request(request({ method: 'BYE', callId: 'rtx-1', cseq: 2, port, localPort: c.localPort, toTag: 'wrong', contentType: '', body: '' }), '2 BYE');
  t.equal(badBye?.status, 481, 'BYE with a foreign To tag is not our dialog');
  const bye = await c.request(request({ method: 'BYE', callId: 'rtx-1', cseq: 3, port, localPort: c.localPort, toTag: tag, contentType: '', body: '' }), '3 BYE');
  t.equal(bye?.status, 200);
  t.equal(h.ended.length, 1);
});

t.test('INVITE over TCP', async (t) => {
  const h = await startIngest(t);
  const msg = request({ callId: 'tcp-1', port: h.ingest.address().tcp, localPort: 5999, contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }]) }).replace('SIP/2.0/UDP', 'SIP/2.0/TCP');
  const { responses } = await tcpRequest(h.ingest.address().tcp, msg);
  t.ok(responses.some((r) => r.status === 100));
  const ok = responses.find((r) => r.status === 200);
  t.ok(ok);
  t.match(ok!.headers.contact, /transport=tcp/);
  t.equal(h.calls.size, 1);
});

t.test('CANCEL before the answer → 200 to CANCEL, 487 to INVITE, no call', async (t) => {
  const { h, c, port } = await setup(t);
  const branch = 'z9hG4bKcancel1';
  // An Opus offer: building its (wasm) decoder takes long enough for the CANCEL to overtake it.
  const opus = sdpOffer([{ port: 40000, label: '1', pts: '111', rtpmap: ['a=rtpmap:111 opus/48000/2'] }]);
  c.send(request({ callId: 'cx-1', port, localPort: c.localPort, branch, contentType: 'application/sdp', body: opus }));
  c.send(request({ method: 'CANCEL', callId: 'cx-1', port, localPort: c.localPort, branch, contentType: '', body: '' }));
  t.equal((await c.wait((r) => r.headers.cseq === '1 CANCEL'))?.status, 200);
  t.equal((await c.wait((r) => r.headers.cseq === '1 INVITE' && r.status >= 200))?.status, 487);
  t.equal(h.calls.size, 0);
  t.same(h.legs.length, 0, 'no call was opened: no leg, and so no call row for KPIs');
  t.same(h.ended.length, 0, 'nothing to end');
});

t.test('closing the ingest ends open recordings with a BYE from our side', async (t) => {
  const { h, c, port } = await setup(t);
  const r = await c.request(request({ callId: 'srs-bye', port, localPort: c.localPort, contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }]) }), '1 INVITE');
  t.equal(r?.status, 200);
  c.send(request({ method: 'ACK', callId: 'srs-bye', port, localPort: c.localPort, toTag: tagOf(r!.headers.to), contentType: '', body: '' }));
  await h.ingest.close();
  const bye = await c.wait((m) => m.raw.startsWith('BYE '));
  t.ok(bye, 'BYE received');
  t.match(bye!.raw, /^BYE sip:src@127\.0\.0\.1:\d+ SIP\/2\.0/);
  t.match(bye!.headers.from, new RegExp(`tag=${tagOf(r!.headers.to)}`), 'From carries our tag');
  t.match(bye!.headers.to, /tag=src1/);
  t.equal(bye!.headers['call-id'], 'srs-bye');
  t.equal(h.ended.length, 1);
});

t.test('RFC 4733 DTMF becomes a dtmf call.event without the digit; RTCP is ignored', async (t) => {
  const { h, c, port } = await setup(t);
  const r = await c.request(request({ callId: 'dtmf-1', port, localPort: c.localPort, contentType: 'application/sdp', body: sdpOffer([{ port: 40020, label: '1' }]) }), '1 INVITE');
  const rtpPort = answerPorts(r!.body)[0];
  const src = dgram.createSocket('udp4');
  await new Promise<void>((res) => src.bind(40020, '127.0.0.1', () => res()));
  t.teardown(() => src.close());
  const send = (b: Buffer, p = rtpPort) => src.send(b, p, '127.0.0.1');
  const audio = new Uint8Array(160).fill(0xff);
  send(buildRtp({ payloadType: 0, seq: 1, timestamp: 0, ssrc: 9, payload: audio }));
  const rr = Buffer.from([0x81, 201, 0, 7, 0, 0, 0, 9, ...new Array(24).fill(0)]);
  send(rr, rtpPort + 1); // RTCP receiver report on port + 1
  send(rr); // and muxed on the RTP port
  const digit = 7;
  for (const [seq, end] of [[2, false], [3, true], [4, true], [5, true]] as const) {
    send(buildRtp({ payloadType: 101, seq, timestamp: 160, ssrc: 9, payload: Uint8Array.from([digit, (end ? 0x80 : 0) | 10, 0x03, 0x20]) }));
  }
  for (let k = 6; k < 12; k++) send(buildRtp({ payloadType: 0, seq: k, timestamp: (k - 4) * 160, ssrc: 9, payload: audio }));
  t.ok(await waitFor(() => h.events.some((e) => e.kind === 'dtmf')));
  const ev = h.events.filter((e) => e.kind === 'dtmf');
  t.equal(ev.length, 1, 'the three end packets make one event');
  t.equal(ev[0].legId, h.legs[0].legId);
  t.same(ev[0].data, { durationMs: 100 });
  t.notMatch(JSON.stringify(ev[0]), /"digit"|"event"/, 'no digit in the event');
  const bad = await h.metrics.registry.getSingleMetric('earshot_bad_input_total')!.get();
  t.notOk(bad.values.some((v) => v.labels.parser === 'rtp'), 'RTCP is not counted as bad RTP');
});

t.test('re-INVITE adding a stream adds a leg and keeps the first port', async (t) => {
  const { h, c, port } = await setup(t);
  const r1 = await c.request(request({ callId: 'grow-1', port, localPort: c.localPort, contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }]) }), '1 INVITE');
  t.equal(h.legs[0].role, 'mixed', 'a lone stream is mixed');
  const body = multipart('g', [
    { type: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }, { port: 40002, label: '2' }]) },
    { type: 'application/rs-metadata+xml', body: metadataXml([AGENT, CUSTOMER], STREAMS) },
  ]);
  const r2 = await c.request(request({ callId: 'grow-1', port, localPort: c.localPort, cseq: 2, toTag: tagOf(r1!.headers.to), contentType: 'multipart/mixed;boundary=g', body }), '2 INVITE');
  t.equal(r2?.status, 200);
  const ports = answerPorts(r2!.body);
  t.equal(ports.length, 2);
  t.equal(ports[0], answerPorts(r1!.body)[0]);
  t.equal(h.legs.length, 2);
  t.equal(h.legs[1].role, 'customer');
  t.equal(h.legs[0].role, 'agent', 'metadata now names the first stream’s sender');
  // Dropping the second stream again (port 0 in the offer) answers it with port 0.
  const r3 = await c.request(request({ callId: 'grow-1', port, localPort: c.localPort, cseq: 3, toTag: tagOf(r1!.headers.to), contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }, { port: 0, label: '2' }]) }), '3 INVITE');
  t.same(answerPorts(r3!.body), [ports[0], 0]);
});

t.test('a 200 OK never acknowledged ends the recording as interrupted (Timer H)', async (t) => {
  const h = await startIngest(t, undefined, 10, { ackTimeoutMs: 1500 });
  const c = await UdpClient.open(t, h.ingest.address().udp);
  const states: string[] = [];
  const okAt: number[] = [];
  h.bus.on('call.ended', (e) => states.push(`${e.state}:${e.reason}`));
  const t0 = Date.now();
  c.sock.on('message', (m) => void (m.toString().startsWith('SIP/2.0 200') && okAt.push(Date.now() - t0)));
  c.send(request({ callId: 'noack', port: h.ingest.address().udp, localPort: c.localPort, contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }]) }));
  t.ok(await waitFor(() => states.length === 1, 5000));
  t.same(states, ['interrupted:no-ack'], 'ended with its reason');
  t.ok(c.responses.filter((r) => r.status === 200).length >= 2, '200 OK was retransmitted meanwhile');
  t.equal(h.calls.size, 0);
  // RFC 3261 §13.3.1.4: retransmissions T1 apart, doubling (to T2), and none after Timer H.
  const gaps = okAt.slice(1).map((x, i) => x - okAt[i]);
  t.ok(gaps[0] >= 400 && gaps[0] < 800, `first retransmission after ~T1 (${gaps[0]} ms)`);
  if (gaps[1] !== undefined) t.ok(gaps[1] >= 800, `then doubling (${gaps[1]} ms)`);
  const sent = okAt.length;
  await new Promise((r) => setTimeout(r, 1200)); // longer than the next retransmission would be
  t.equal(okAt.length, sent, 'no retransmission after Timer H');
});
