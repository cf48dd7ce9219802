// Probes on the embedded SIP front with the default limits:
// - 300 slow SIP TCP connections, each holding a partial INVITE, from a listed SBC address
//   (127.0.0.2 in sip.allow: a rogue or broken SBC is the hard case) are bounded by
//   sip.tcp.maxConnectionsPerIp (32), the rest refused at once; a real INVITE over TCP from sipp
//   is answered while they are held; the held ones are closed after sip.tcp.partialSeconds (10 s).
//   From an unlisted address (127.0.0.3) every connection is refused before a byte is read.
// - an INVITE with 50 m-lines (sipp) is answered with sip.maxStreamsPerCall (4) streams recorded
//   and the other 46 refused with port 0: 4 legs, 4 RTP port pairs, never 100.
// - an INVITE with more Vias than sip.maxVias is refused 400 and counted.
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { runSipp } from '../fixtures/sipp/harness.js';
import { eventually, sippPorts, startProbe } from './rig.js';

function slowConnection(port: number, localAddress: string): Promise<{ sock: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('error', () => {});
    sock.once('connect', () => {
      // A message that never completes: start line and one header, no blank line.
      sock.write(`INVITE sip:srs@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/TCP ${localAddress}:5060;branch=z9hG4bKslow\r\n`);
      resolve({ sock, closed });
    });
    void closed.then(() => resolve({ sock, closed }));
  });
}

t.test('300 slow SIP TCP connections are bounded and a real INVITE still answers', { timeout: 120_000 }, async (t) => {
  const p = await startProbe(t, (c) => (c.sip.allow = ['127.0.0.2']));
  const { tcp } = p.config.sip;
  const port = p.appliance.sip!.tcp;
  const conns = await Promise.all(Array.from({ length: 300 }, () => slowConnection(port, '127.0.0.2')));
  t.teardown(() => conns.forEach((c) => c.sock.destroy()));
  await eventually(async () => (await p.bad('sip', 'tcp-busy-ip')) === 300 - tcp.maxConnectionsPerIp, 'refusals over the per-address cap');
  const held = conns.filter((c) => !c.sock.destroyed && c.sock.readyState === 'open');
  t.equal(held.length, tcp.maxConnectionsPerIp, `${held.length} held: sip.tcp.maxConnectionsPerIp`);

  const started = Date.now();
  const run = await runSipp(t, p.dir, 'uac-siprec-short-expect-200.xml', { PAUSE: '200' }, `127.0.0.1:${port}`, [...(await sippPorts()), '-t', 't1']);
  t.equal(run.code, 0, `INVITE over TCP answered 200 (and BYE) while the slow connections were held: ${run.stderr.slice(-300)}`);
  t.ok(Date.now() - started < tcp.partialSeconds * 1000, 'answered inside the partial-message window, not after the slow ones were dropped');

  await Promise.all(held.map((c) => c.closed));
  t.equal(await p.bad('sip', 'tcp-partial-timeout'), held.length, `every held partial message closed after ${tcp.partialSeconds} s`);
  t.ok(Date.now() - started >= (tcp.partialSeconds - 1) * 1000, 'not before the timeout');

  const offList = await Promise.all(Array.from({ length: 300 }, () => slowConnection(port, '127.0.0.3')));
  await Promise.all(offList.map((c) => c.closed));
  t.equal(await p.bad('sip', 'forbidden-source'), 300, 'an unlisted address gets no TCP connection at all');
  t.same(p.storedCalls().map((c) => [c.ingest, c.state]), [['siprec', 'ended']], "only sipp's call stored");
});

t.test('an INVITE with 50 m-lines records sip.maxStreamsPerCall streams and refuses the rest with port 0', { timeout: 120_000 }, async (t) => {
  const p = await startProbe(t);
  const max = p.config.sip.maxStreamsPerCall;
  const mlines = Array.from({ length: 50 }, (_, i) => `m=audio ${40000 + 2 * i} RTP/AVP 0\na=rtpmap:0 PCMU/8000\na=label:${i + 1}\na=sendonly`).join('\n');
  const legs: string[] = [];
  p.appliance.pipeline.bus.on('leg.added', (l) => void legs.push(l.label));
  const run = await runSipp(t, p.dir, 'uac-siprec-many-mlines-expect-200.xml', { N: '50', MLINES: mlines }, `127.0.0.1:${p.appliance.sip!.udp}`, [...(await sippPorts()), '-trace_msg']);
  t.equal(run.code, 0, `50 m-lines answered 200: ${run.stderr.slice(-300)}`);
  const log = readdirSync(p.dir).find((f) => f.endsWith('_messages.log'));
  const trace = readFileSync(path.join(p.dir, log!), 'utf8');
  const answer = /SIP\/2\.0 200 OK[\s\S]*?\r?\n\r?\n(v=0[\s\S]*?)(?=\r?\n\r?\n|-{10,}|$)/.exec(trace)?.[1] ?? '';
  const ports = [...answer.matchAll(/^m=audio (\d+) /gm)].map((m) => Number(m[1]));
  t.equal(ports.length, 50, 'one answered m-line per offered one (RFC 3264)');
  t.equal(ports.filter((x) => x !== 0).length, max, `${max} streams answered with a port`);
  t.equal(ports.filter((x) => x === 0).length, 50 - max, 'the rest refused with port 0');
  t.same(legs, ['1', '2', '3', '4'].slice(0, max), 'legs only for the recorded streams');
  t.equal(await p.bad('sdp', 'too-many-streams'), 1, 'counted');
  await eventually(() => p.storedCalls()[0]?.state === 'ended', 'call stored');
});

t.test('an INVITE with more Vias than sip.maxVias → 400, counted, no call', async (t) => {
  const p = await startProbe(t);
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const local = sock.address().port;
  const vias = Array.from({ length: p.config.sip.maxVias + 1 }, (_, i) => `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bKvia${i}`);
  const msg = [`OPTIONS sip:srs@127.0.0.1 SIP/2.0`, ...vias, 'From: <sip:a@127.0.0.1>;tag=1', 'To: <sip:srs@127.0.0.1>', 'Call-ID: vias-1', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n');
  const reply = new Promise<string>((r) => sock.once('message', (m) => r(m.toString())));
  sock.send(msg, p.appliance.sip!.udp, '127.0.0.1');
  const res = await reply;
  t.match(res, /^SIP\/2\.0 400 /, '400 Bad Request');
  t.equal((res.match(/^Via:/gm) ?? []).length, 1, 'the response carries the top Via only: no amplification');
  t.equal(await p.bad('sip', 'too-many-vias'), 1);
  t.same(p.storedCalls(), []);
});
