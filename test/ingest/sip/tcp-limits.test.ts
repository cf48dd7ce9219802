// The SIP TCP transport's bounds on real loopback sockets, with short limits: an idle connection is
// closed, a partial message is timed from its first byte (more bytes do not reset it), a complete
// message ends the partial clock, keep-alive CRLFs keep an idle connection open, and the total and
// per-address caps refuse at accept.
import net from 'node:net';
import t from 'tap';
import { startTransports, type TcpCloseReason } from '../../../src/ingest/sip/transport.js';

async function start(t: { teardown(fn: () => unknown): void }, tcp: { idleMs?: number; partialMs?: number; maxConnections?: number; maxConnectionsPerIp?: number }) {
  const bad: TcpCloseReason[] = [];
  const messages: string[] = [];
  const tr = await startTransports({ host: '127.0.0.1', port: 0, maxBytes: 4096, tcp, onMessage: (m) => void messages.push(m.data.toString()), onBad: (r) => void bad.push(r) });
  t.teardown(() => tr.close());
  const open = (localAddress = '127.0.0.1') =>
    new Promise<{ sock: net.Socket; closedAt: Promise<number> }>((resolve) => {
      const sock = net.connect({ port: tr.tcpPort, host: '127.0.0.1', localAddress });
      sock.on('error', () => {});
      const closedAt = new Promise<number>((r) => sock.once('close', () => r(Date.now())));
      sock.once('connect', () => resolve({ sock, closedAt }));
    });
  return { tr, bad, messages, open };
}

const OPTIONS = 'OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';

t.test('idle connections are closed; keep-alives count as traffic', async (t) => {
  const s = await start(t, { idleMs: 400 });
  const idle = await s.open();
  const alive = await s.open();
  const t0 = Date.now();
  const ping = setInterval(() => alive.sock.write('\r\n\r\n'), 100);
  t.teardown(() => clearInterval(ping));
  const closedAt = await idle.closedAt;
  t.ok(closedAt - t0 >= 350, `idle connection closed after ~400 ms (${closedAt - t0})`);
  t.equal(alive.sock.destroyed, false, 'the one sending CRLF keep-alives is still open');
  t.same(s.bad, ['tcp-idle']);
  clearInterval(ping);
});

t.test('a partial message is timed from its first byte; a complete one stops the clock', async (t) => {
  const s = await start(t, { partialMs: 500 });
  const slow = await s.open();
  const t0 = Date.now();
  slow.sock.write('OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\n');
  // Dribbling more bytes of the same message does not buy time.
  const drip = setInterval(() => slow.sock.writable && slow.sock.write('X'), 100);
  t.teardown(() => clearInterval(drip));
  const closedAt = await slow.closedAt;
  clearInterval(drip);
  t.ok(closedAt - t0 >= 450 && closedAt - t0 < 1500, `closed ${closedAt - t0} ms after the message began`);
  t.same(s.bad, ['tcp-partial-timeout']);

  const fine = await s.open();
  fine.sock.write(OPTIONS.slice(0, 30));
  await new Promise((r) => setTimeout(r, 300));
  fine.sock.write(OPTIONS.slice(30)); // completed within the window
  await new Promise<void>((r) => {
    const check = () => (s.messages.length === 1 ? r() : setTimeout(check, 10));
    check();
  });
  // Half a window after the clock would have fired had the complete message not stopped it.
  await new Promise((r) => setTimeout(r, 400));
  t.equal(fine.sock.destroyed, false, 'a connection whose message completed stays open');
  t.same(s.bad, ['tcp-partial-timeout'], 'no further close');
});

t.test('total and per-address caps refuse at accept', async (t) => {
  const s = await start(t, { maxConnections: 3, maxConnectionsPerIp: 2 });
  const a = [await s.open('127.0.0.2'), await s.open('127.0.0.2'), await s.open('127.0.0.2')];
  await a[2].closedAt;
  t.same(s.bad, ['tcp-busy-ip'], 'the third from one address refused');
  const b = [await s.open('127.0.0.3'), await s.open('127.0.0.4')];
  await b[1].closedAt;
  t.same(s.bad, ['tcp-busy-ip', 'tcp-busy'], 'over the total cap refused');
  a[0].sock.destroy();
  await a[0].closedAt;
  // The server sees the close a moment after the client: retry (bounded) until the slot is free.
  let c = await s.open('127.0.0.5');
  const refused = (x: typeof c) => Promise.race([x.closedAt.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);
  for (let i = 0; i < 50 && (await refused(c)); i++) c = await s.open('127.0.0.5');
  c.sock.write(OPTIONS);
  await new Promise<void>((r) => {
    const check = () => (s.messages.length === 1 ? r() : setTimeout(check, 10));
    check();
  });
  t.pass('a slot freed by a close is usable again');
  for (const x of [...a, ...b, c]) x.sock.destroy();
});
