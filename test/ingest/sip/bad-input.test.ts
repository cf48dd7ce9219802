// Bad SIP on real sockets: each kind is dropped or answered 400, counted under a bounded reason,
// and the listener keeps serving (checked with an OPTIONS at the end of each case).
import t from 'tap';
import net from 'node:net';
import { metricValue, startIngest } from '../siprec/helpers.js';
import { request, sdpOffer, UdpClient } from './client.js';

type T = { teardown(fn: () => unknown): void };

async function setup(t: T) {
  const h = await startIngest(t, (c) => (c.sip.maxMessageBytes = 2048));
  const c = await UdpClient.open(t, h.ingest.address().udp);
  const port = h.ingest.address().udp;
  const alive = async () => (await c.request(request({ method: 'OPTIONS', callId: `opt-${Math.random()}`, port, localPort: c.localPort, contentType: '', body: '' }), '1 OPTIONS'))?.status;
  const bad = (reason: string) => metricValue(h.metrics, 'earshot_bad_input_total', { parser: 'sip', reason });
  return { h, c, port, alive, bad };
}

t.test('garbage datagram is dropped and counted', async (t) => {
  const { c, alive, bad } = await setup(t);
  c.send(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]));
  c.send('HELLO WORLD\r\n\r\n');
  t.equal(await alive(), 200);
  t.equal(await bad('start-line'), 2);
  t.equal(c.responses.length, 1, 'only the OPTIONS was answered');
});

t.test('truncated body → 400', async (t) => {
  const { c, port, alive, bad } = await setup(t);
  const msg = request({ callId: 'trunc', port, localPort: c.localPort, contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }]) });
  const r = await c.request(msg.slice(0, msg.length - 40), '1 INVITE');
  t.equal(r?.status, 400);
  t.equal(await bad('truncated-body'), 1);
  t.equal(await alive(), 200);
});

t.test('missing mandatory header is dropped; too many headers → 400', async (t) => {
  const { c, port, alive, bad } = await setup(t);
  c.send(request({ method: 'OPTIONS', callId: 'x', port, localPort: c.localPort, contentType: '', body: '' }).replace(/Call-ID: .*\r\n/, ''));
  const many = Array.from({ length: 140 }, (_, i) => `X-H${i}: v`);
  const r = await c.request(request({ method: 'OPTIONS', callId: 'many', port, localPort: c.localPort, contentType: '', body: '', extraHeaders: many }), '1 OPTIONS');
  t.equal(r?.status, 400);
  t.equal(await bad('missing-header'), 1);
  t.equal(await bad('too-many-headers'), 1);
  t.equal(await alive(), 200);
});

t.test('oversized UDP message dropped; oversized TCP stream closed', async (t) => {
  const { h, c, port, alive, bad } = await setup(t);
  const big = request({ method: 'OPTIONS', callId: 'big', port, localPort: c.localPort, contentType: 'text/plain', body: 'x'.repeat(3000) });
  c.send(big);
  t.equal(await alive(), 200);
  t.equal(await bad('oversized'), 1);
  const closed = await new Promise<boolean>((resolve) => {
    const s = net.connect(h.ingest.address().tcp, '127.0.0.1', () => s.write(big.replace('SIP/2.0/UDP', 'SIP/2.0/TCP')));
    s.on('close', () => resolve(true));
    s.on('error', () => {});
    setTimeout(() => resolve(false), 3000).unref();
  });
  t.ok(closed, 'TCP connection closed');
  t.equal(await bad('oversized'), 2);
});

t.test('unknown method → 405; responses ignored', async (t) => {
  const { c, port, alive } = await setup(t);
  const r = await c.request(request({ method: 'SUBSCRIBE', callId: 'sub', port, localPort: c.localPort, contentType: '', body: '' }), '1 SUBSCRIBE');
  t.equal(r?.status, 405);
  c.send('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: r\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n');
  t.equal(await alive(), 200);
});
