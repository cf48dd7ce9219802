// Probe: 250 authenticated fork connections that send their metadata and then no audio (the issue's
// 205 websockets filled limits.maxCalls and the SBC's INVITEs got 503). With the default limits a
// connection takes no call slot before its first audio, fork connections have their own caps
// (forks.maxConnectionsPerIp: 200 here, all from one address), and a silent one is closed after
// forks.idleSeconds. A real SIPREC call from sipp is answered 200 while they are all open.
import t from 'tap';
import { WebSocket } from 'ws';
import { runSipp } from '../fixtures/sipp/harness.js';
import { eventually, sippPorts, startProbe } from './rig.js';

const KEY = 'silent-probe-key-0123456789';
const N = 250;

t.test('250 silent fork connections cannot keep a real SIPREC call out, and are closed when idle', { timeout: 120_000 }, async (t) => {
  const p = await startProbe(t, (c) => {
    c.forks = { apiKeys: [{ name: 'pbx-1', key: KEY }], idleSeconds: 4 };
  });
  const { limits, forks } = p.config;
  t.equal(limits.maxCalls, 200, 'default call limit, below the number of connections');

  const sockets: WebSocket[] = [];
  const outcomes = await Promise.all(
    Array.from(
      { length: N },
      (_, i) =>
        new Promise<{ status: number; closed?: Promise<number> }>((resolve) => {
          const ws = new WebSocket(`${p.wsUrl}/ingest/audio-fork`, ['audio.drachtio.org'], { headers: { authorization: `Bearer ${KEY}` } });
          sockets.push(ws);
          ws.once('unexpected-response', (_req, res) => {
            resolve({ status: res.statusCode ?? 0 });
            res.resume();
          });
          ws.once('open', () => {
            ws.send(JSON.stringify({ sampleRate: 8000, callSid: `silent-${i}`, agentId: 'a1' }));
            resolve({ status: 101, closed: new Promise((r) => ws.once('close', (code) => r(code))) });
          });
          ws.once('error', () => resolve({ status: 0 }));
        }),
    ),
  );
  t.teardown(() => sockets.forEach((s) => s.terminate()));
  const open = outcomes.filter((o) => o.status === 101);
  const busy = outcomes.filter((o) => o.status === 503);
  t.equal(open.length, forks.maxConnectionsPerIp, `connections from one address capped at forks.maxConnectionsPerIp (${forks.maxConnectionsPerIp})`);
  t.equal(busy.length, N - forks.maxConnectionsPerIp, 'the rest refused with 503 before the upgrade');
  t.equal(p.appliance.pipeline.calls.size, 0, 'silent connections hold no call slot');

  const run = await runSipp(t, p.dir, 'uac-siprec-short-expect-200.xml', { PAUSE: '300' }, `127.0.0.1:${p.appliance.sip!.udp}`, await sippPorts());
  t.equal(run.code, 0, `the SBC's INVITE got 200 and its BYE 200 while ${open.length} fork connections were open: ${run.stderr.slice(-300)}`);

  // Bounded life: every silent connection is closed by the server after forks.idleSeconds.
  const codes = await Promise.all(open.map((o) => o.closed!));
  t.ok(codes.every((c) => c === 1008), 'each closed with 1008 (policy: no audio)');
  t.equal(await p.bad('ws-fork', 'idle'), open.length, 'idle closes counted');
  t.equal(await p.bad('ws-fork', 'busy-ip'), busy.length, 'cap refusals counted');
  await eventually(() => p.storedCalls().some((c) => c.state === 'ended'), 'the SIPREC call stored as ended');
  const calls = p.storedCalls();
  t.same(calls.map((c) => [c.ingest, c.state, c.end_reason, c.source]), [['siprec', 'ended', 'bye', '127.0.0.1']], 'only the SIPREC call is in the store; no row from the silent forks');
  const gauge = async () => (await p.appliance.pipeline.metrics.registry.getSingleMetric('earshot_fork_connections')!.get()).values.reduce((n, v) => n + v.value, 0);
  // The server's side of each close lands a moment after the client's.
  await eventually(async () => (await gauge()) === 0, 'earshot_fork_connections back to 0');
  t.pass('earshot_fork_connections back to 0');
});
