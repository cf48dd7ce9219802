// Bad SIPREC content on real sockets: SDP without audio, malformed SDP, malformed metadata XML,
// sources outside the allow-list, RTP from an unexpected source and truncated RTP. Each is
// answered or dropped, counted, and never takes the process down.
import t from 'tap';
import dgram from 'node:dgram';
import { buildRtp } from '../../../src/ingest/rtp/packet.js';
import { answerPorts, multipart, request, sdpOffer, UdpClient } from '../sip/client.js';
import { legPcm, metricValue, startIngest, waitFor } from './helpers.js';

type T = { teardown(fn: () => unknown): void };

async function setup(t: T, allow: string[] = [], from = '127.0.0.1') {
  const h = await startIngest(t, (c) => (c.sip.allow = allow));
  const c = await UdpClient.open(t, h.ingest.address().udp, from);
  const port = h.ingest.address().udp;
  const bad = (parser: string, reason: string) => metricValue(h.metrics, 'earshot_bad_input_total', { parser, reason });
  const invite = (callId: string, contentType: string, body: string) => c.request(request({ callId, port, localPort: c.localPort, contentType, body }), '1 INVITE');
  return { h, c, port, bad, invite };
}

t.test('SDP without audio → 488; malformed SDP → 400', async (t) => {
  const { h, bad, invite } = await setup(t);
  const video = 'v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 40000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n';
  t.equal((await invite('novideo', 'application/sdp', video))?.status, 488);
  t.equal(await bad('sdp', 'no-audio'), 1);
  t.equal((await invite('garbled', 'application/sdp', 'this is not sdp'))?.status, 400);
  t.equal(await bad('sdp', 'malformed'), 1);
  t.equal((await invite('weird-ct', 'text/html', '<html/>'))?.status, 400);
  t.equal(await bad('sip', 'body-content-type'), 1);
  t.equal(h.calls.size, 0);
});

t.test('malformed metadata XML: recorded anyway with positional roles, counted', async (t) => {
  const { h, bad, invite } = await setup(t);
  const body = multipart('b', [
    { type: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }, { port: 40002, label: '2' }]) },
    { type: 'application/rs-metadata+xml', body: '<recording xmlns="urn:ietf:params:xml:ns:recording:1"><participant participant_id="p1"><nameID aor="sip:1@x"></participant>' },
  ]);
  t.equal((await invite('badxml', 'multipart/mixed;boundary=b', body))?.status, 200);
  t.equal(await bad('rs-metadata', 'malformed'), 1);
  t.same(h.legs.map((l) => l.role), ['customer', 'agent']);
  const wrongRoot = multipart('b', [
    { type: 'application/sdp', body: sdpOffer([{ port: 40004, label: '1' }]) },
    { type: 'application/rs-metadata+xml', body: '<?xml version="1.0"?><foo><bar/></foo>' },
  ]);
  t.equal((await invite('wrongroot', 'multipart/mixed;boundary=b', wrongRoot))?.status, 200);
  t.equal(await bad('rs-metadata', 'no-recording'), 1);
});

t.test('source outside config.sip.allow → 403; empty allow = the local host only', async (t) => {
  // 127.0.0.2 stands for another host: only 127.0.0.1 and ::1 are the always-allowed local host.
  for (const allow of [[], ['10.0.0.0/8']]) {
    const { h, c, port, invite, bad } = await setup(t, allow, '127.0.0.2');
    t.equal((await invite('denied', 'application/sdp', sdpOffer([{ port: 40000, label: '1' }])))?.status, 403, `allow ${JSON.stringify(allow)}: INVITE refused`);
    t.equal(h.calls.size, 0);
    t.equal(h.legs.length, 0, 'no call, no leg');
    const opt = await c.request(request({ method: 'OPTIONS', callId: 'o', port, localPort: c.localPort, contentType: '', body: '' }), '1 OPTIONS');
    t.equal(opt?.status, 403);
    t.equal(await bad('sip', 'forbidden-source'), 1);
  }
  const local = await setup(t, []);
  t.equal((await local.invite('local', 'application/sdp', sdpOffer([{ port: 40000, label: '1' }])))?.status, 200, 'the local host needs no entry');
  const ok = await setup(t, ['127.0.0.2'], '127.0.0.2');
  t.equal((await ok.invite('allowed', 'application/sdp', sdpOffer([{ port: 40002, label: '1' }])))?.status, 200, 'a listed source is admitted');
});

t.test('RTP from an unexpected source, and truncated RTP, are dropped and counted', async (t) => {
  const { h, bad, invite } = await setup(t);
  // The SRC offers 127.0.0.2 as its media address: packets from 127.0.0.1 are someone else.
  const offer = sdpOffer([{ port: 40000, label: '1' }], '127.0.0.2');
  const r = await invite('rtp-src', 'application/sdp', offer);
  t.equal(r?.status, 200);
  const rtpPort = answerPorts(r!.body)[0];
  const stranger = dgram.createSocket('udp4');
  await new Promise<void>((res) => stranger.bind(0, '127.0.0.1', () => res()));
  const legit = dgram.createSocket('udp4');
  await new Promise<void>((res) => legit.bind(0, '127.0.0.2', () => res()));
  t.teardown(() => {
    stranger.close();
    legit.close();
  });
  const payload = new Uint8Array(160).fill(0x55);
  for (let k = 0; k < 3; k++) stranger.send(buildRtp({ payloadType: 0, seq: k, timestamp: k * 160, ssrc: 1, payload }), rtpPort, '127.0.0.1');
  const truncated = buildRtp({ payloadType: 0, seq: 9, timestamp: 0, ssrc: 2, payload, csrc: [1, 2, 3] }).subarray(0, 20);
  legit.send(truncated, rtpPort, '127.0.0.1');
  legit.send(Buffer.from([0x80, 0x00, 0x01]), rtpPort, '127.0.0.1');
  legit.send(buildRtp({ payloadType: 100, seq: 1, timestamp: 0, ssrc: 2, payload }), rtpPort, '127.0.0.1');
  for (let k = 0; k < 5; k++) legit.send(buildRtp({ payloadType: 0, seq: 100 + k, timestamp: k * 160, ssrc: 2, payload }), rtpPort, '127.0.0.1');
  t.ok(await waitFor(async () => (await bad('rtp', 'unexpected-source')) === 3 && legPcm(h, h.legs[0].legId).length >= 800) , 'legit packets decoded');
  t.equal(await bad('rtp', 'unexpected-source'), 3);
  t.equal(await bad('rtp', 'csrc-truncated'), 1);
  t.equal(await bad('rtp', 'short'), 1);
  t.equal(await bad('rtp', 'unknown-payload-type'), 1);
  t.ok(legPcm(h, h.legs[0].legId).length >= 800);
});
