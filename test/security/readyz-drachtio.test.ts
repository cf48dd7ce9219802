// Probe: /readyz reports each ingest front and is not ready while the drachtio-server connection
// is down (the issue: it said ready, so load balancers and SBC health checks kept sending).
// drachtio-server is not installable here: a real TCP listener stands in for its control port and
// speaks the part of drachtio's wire protocol a client needs to connect (`<len>#<id>|authenticate|
// <secret>|…` answered `…|response|<id>|OK|<hostport>`; other requests answered OK alike).
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import t from 'tap';
import { eventually, startProbe } from './rig.js';

function standIn(secret: string) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      for (;;) {
        const hash = buf.indexOf('#');
        if (hash < 0) return;
        const len = Number(buf.slice(0, hash));
        if (buf.length < hash + 1 + len) return;
        const msg = buf.slice(hash + 1, hash + 1 + len);
        buf = buf.slice(hash + 1 + len);
        const [id, verb, given] = msg.split('|');
        const ok = verb !== 'authenticate' || given === secret;
        const reply = `${randomUUID()}|response|${id}|${ok ? 'OK' : 'NOK'}|udp/127.0.0.1:5060|v0.8.0`;
        sock.write(`${Buffer.byteLength(reply)}#${reply}`);
      }
    });
  });
  return {
    listen: () => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port))),
    /** drachtio-server stops: connections dropped, port closed. */
    stop: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

type Ready = { ready: boolean; checks: Record<string, { ok: boolean; state?: string; detail: string }> };

t.test('/readyz: ready while drachtio-server is connected, 503 with the SIP front down when it is not', { timeout: 60_000 }, async (t) => {
  const drachtio = standIn('s3cret-for-probe');
  const port = await drachtio.listen();
  const p = await startProbe(t, (c) => (c.sip = { front: 'drachtio', drachtio: { host: '127.0.0.1', port, secret: 's3cret-for-probe' } }));
  const readyz = async () => {
    const res = await fetch(`${p.httpUrl}/readyz`);
    return { status: res.status, body: (await res.json()) as Ready };
  };
  await eventually(async () => (await readyz()).status === 200, 'ready once connected to drachtio-server');
  const up = await readyz();
  t.equal(up.body.checks.sip.state, 'local-only', 'the SIP front is up (SIPREC from the local host only by default)');
  t.same(Object.keys(up.body.checks).filter((k) => ['sip', 'forks', 'audiosocket'].includes(k)).sort(), ['audiosocket', 'forks', 'sip'], 'every ingest front reported');

  await drachtio.stop();
  await eventually(async () => (await readyz()).status === 503, 'not ready once drachtio-server is gone');
  const down = await readyz();
  t.equal(down.body.ready, false);
  t.equal(down.body.checks.sip.ok, false);
  t.equal(down.body.checks.sip.state, 'down');
  t.match(down.body.checks.sip.detail, /not connected/);
  t.equal(down.body.checks.forks.ok, true, 'the other fronts keep their own state');
});
