// The drachtio front at its boundary. drachtio-server is not installable here, so:
//  - request handling: plain objects shaped like drachtio-srf's req/res stand in for what
//    drachtio-server delivers (req.body holds the raw multipart body, as srf gives it);
//  - reconnection: a real TCP listener stands in for drachtio-server's control port and drops
//    every connection; drachtio-srf must keep reconnecting with backoff and never crash.
import t from 'tap';
import net from 'node:net';
import pino from 'pino';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { PortPool } from '../../../src/ingest/rtp/port-pool.js';
import { SrsCore } from '../../../src/ingest/siprec/core.js';
import { drachtioHandlers, type SrfReq, type SrfRes } from '../../../src/ingest/siprec/drachtio.js';
import { createIngestMetrics } from '../../../src/ingest/siprec/metrics.js';
import { metadataXml, multipart, sdpOffer } from '../sip/client.js';
import { startIngest, waitFor } from './helpers.js';

function standIn(headers: Record<string, string>, body = '', method = 'INVITE') {
  const listeners: (() => void)[] = [];
  const req: SrfReq & { cancel(): void } = {
    method,
    body,
    source_address: '127.0.0.1',
    get: (n) => headers[n],
    on: (_e, fn) => listeners.push(fn),
    cancel: () => listeners.forEach((f) => f()),
  };
  const sent: { status: number; reason?: string; opts?: { headers?: Record<string, string>; body?: string } }[] = [];
  const res: SrfRes = {
    send: (status: number, reason?: unknown, opts?: unknown) => {
      sent.push({ status, reason: reason as string, opts: opts as never });
    },
  };
  return { req, res, sent };
}

function core(t: { teardown(fn: () => void): void }) {
  const bus = new PipelineBus();
  const calls = new CallRegistry(bus, 5);
  const metrics = createIngestMetrics(createMetrics({ defaults: false }));
  const base = 30000 + 2 * Math.floor(Math.random() * 10000);
  const c = new SrsCore({ log: pino({ level: 'silent' }), bus, calls, metrics, pool: new PortPool(base, base + 100, '127.0.0.1') }, { allow: [], advertise: '', jitterMs: 60 });
  t.teardown(() => c.close());
  return { c, calls, metrics, bus };
}

t.test('srf INVITE with multipart req.body → core → res.send(200, sdp); BYE; OPTIONS', async (t) => {
  const { c, calls, metrics } = core(t);
  const h = drachtioHandlers(c, metrics, '192.0.2.10');
  const body = multipart('UniqueBoundary', [
    { type: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }, { port: 40002, label: '2' }]) },
    { type: 'application/rs-metadata+xml', body: metadataXml([{ id: 'a', aor: 'sip:1001@pbx', sends: 's1' }, { id: 'c', aor: 'sip:+4930123@x', sends: 's2' }], [{ id: 's1', label: '1' }, { id: 's2', label: '2' }]) },
  ]);
  const inv = standIn({ 'Call-ID': 'dr-1', To: '<sip:srs@x>', 'Content-Type': 'multipart/mixed;boundary=UniqueBoundary' }, body);
  await h.invite(inv.req, inv.res);
  t.equal(inv.sent.length, 1);
  t.equal(inv.sent[0].status, 200);
  t.equal(inv.sent[0].opts?.headers?.['Content-Type'], 'application/sdp');
  t.match(inv.sent[0].opts?.body, /c=IN IP4 192\.0\.2\.10/);
  t.equal(inv.sent[0].opts?.body?.match(/a=recvonly/g)?.length, 2);
  const legs = [...calls.list()[0].legs.values()];
  t.same(legs.map((l) => [l.label, l.role]), [['1', 'agent'], ['2', 'customer']]);
  const reinv = standIn({ 'Call-ID': 'dr-1', To: '<sip:srs@x>;tag=abc', 'Content-Type': 'application/sdp' }, sdpOffer([{ port: 40000, label: '1', dir: 'inactive' }, { port: 40002, label: '2', dir: 'inactive' }]));
  await h.invite(reinv.req, reinv.res);
  t.equal(reinv.sent[0].status, 200);
  const opt = standIn({ 'Call-ID': 'o' }, '', 'OPTIONS');
  h.options(opt.req, opt.res);
  t.equal(opt.sent[0].status, 200);
  const bye = standIn({ 'Call-ID': 'dr-1' }, '', 'BYE');
  h.bye(bye.req, bye.res);
  t.equal(bye.sent[0].status, 200);
  t.equal(calls.size, 0);
  const bye2 = standIn({ 'Call-ID': 'dr-1' }, '', 'BYE');
  h.bye(bye2.req, bye2.res);
  t.equal(bye2.sent[0].status, 481);
});

t.test('CANCEL while the offer is being answered: no call left, nothing sent by us', async (t) => {
  const { c, calls, metrics } = core(t);
  const h = drachtioHandlers(c, metrics, '127.0.0.1');
  const inv = standIn({ 'Call-ID': 'dr-c', To: '<sip:srs@x>', 'Content-Type': 'application/sdp' }, sdpOffer([{ port: 40000, label: '1' }]));
  const p = h.invite(inv.req, inv.res);
  inv.req.cancel(); // arrives while ports are being bound
  await p;
  t.equal(inv.sent.length, 0, 'drachtio-server answers 487 itself');
  t.equal(calls.size, 0);
});

t.test('bad offers come back as SIP statuses through res.send', async (t) => {
  const { c, metrics } = core(t);
  const h = drachtioHandlers(c, metrics, '127.0.0.1');
  const inv = standIn({ 'Call-ID': 'dr-b', To: '<sip:srs@x>', 'Content-Type': 'application/sdp' }, sdpOffer([{ port: 40000, label: '1', pts: '18', rtpmap: [] }]));
  await h.invite(inv.req, inv.res);
  t.equal(inv.sent[0].status, 488);
  const re = standIn({ 'Call-ID': 'unknown', To: '<sip:srs@x>;tag=zz', 'Content-Type': 'application/sdp' }, sdpOffer([{ port: 40000, label: '1' }]));
  await h.invite(re.req, re.res);
  t.equal(re.sent[0].status, 481);
});

t.test('reconnects with backoff when drachtio-server drops the connection', async (t) => {
  let attempts = 0;
  const server = net.createServer((s) => {
    attempts++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const h = await startIngest(t, (c) => {
    c.sip.front = 'drachtio';
    c.sip.drachtio.port = port;
  });
  t.same(h.ingest.address(), { udp: 0, tcp: 0 });
  t.ok(await waitFor(() => attempts >= 3, 8000), `reconnected after drops (${attempts} connections)`);
  await h.ingest.close();
  t.pass('closed without an unhandled error');
});
