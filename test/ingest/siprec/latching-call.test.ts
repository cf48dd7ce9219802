// Symmetric RTP at call level: sipp sends a SIPREC INVITE whose SDP says the media comes from
// 127.0.0.1, while the media really comes from 127.0.0.2 (an SBC whose media interface differs from
// its signalling, or one behind NAT). With rtp.latching latch the leg latches to that source and is
// recorded sample-exact; a third source afterwards is refused and counted. With strict (the
// default) the leg records nothing and every packet is counted. Real sockets, sipp bounded in time.
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import type { LegInfo, LegStats } from '../../../src/call/types.js';
import { validateConfig } from '../../../src/config/index.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { createSiprecIngest } from '../../../src/ingest/siprec/index.js';
import { freePort, runSipp, speechUlaw } from '../../fixtures/sipp/harness.js';
import { answerLog, metricValue, waitFor } from './helpers.js';

/** Sends `ulaw` as 20 ms PCMU packets from `from` to 127.0.0.1:port; resolves when all are sent. */
async function sendRtp(t: { teardown(fn: () => void): void }, from: string, port: number, ulaw: Buffer, ssrc: number): Promise<number> {
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  await new Promise<void>((r) => sock.bind(0, from, () => r()));
  const n = Math.ceil(ulaw.length / 160);
  for (let i = 0; i < n; i++) {
    const p = Buffer.alloc(12 + 160, 0xff);
    p[0] = 0x80;
    p[1] = i === 0 ? 0x80 : 0; // marker on the first, PT 0
    p.writeUInt16BE(i & 0xffff, 2);
    p.writeUInt32BE(i * 160, 4);
    p.writeUInt32BE(ssrc, 8);
    ulaw.copy(p, 12, i * 160, Math.min(ulaw.length, (i + 1) * 160));
    await new Promise<void>((r) => sock.send(p, port, '127.0.0.1', () => r()));
    // Paced like a real sender (the jitter buffer expects 20 ms apart), not a wait for a result.
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

async function call(t: Test, latching: 'latch' | 'strict') {
  const dir = t.testdir();
  const src = speechUlaw(dir, 'src', 'My card was charged twice this month.', 'kal');
  const { log, answers } = answerLog();
  const base = 30000 + 2 * Math.floor(Math.random() * 10000);
  // sip.allow admits the media sources (latching never takes a source the SIP side would refuse).
  const config = validateConfig({ sip: { host: '127.0.0.1', port: 0, allow: ['127.0.0.0/8'] }, rtp: { host: '127.0.0.1', portMin: base, portMax: base + 200, latching } });
  const bus = new PipelineBus();
  const calls = new CallRegistry(bus, 5);
  const metrics = createMetrics({ defaults: false });
  const legs: LegInfo[] = [];
  const audio = new Map<string, Int16Array[]>();
  const stats = new Map<string, LegStats>();
  let ended = 0;
  const roles: unknown[] = [];
  bus.on('call.event', (e) => (e.kind === 'roles' ? roles.push(e.data) : undefined));
  bus.on('leg.added', (l) => legs.push(l));
  bus.on('leg.audio', (a) => audio.set(a.legId, [...(audio.get(a.legId) ?? []), a.samples]));
  bus.on('leg.stats', (s) => stats.set(s.legId, s.stats));
  bus.on('call.ended', () => ended++);
  const ingest = await createSiprecIngest({ config, log, bus, calls, metrics });
  t.teardown(() => ingest.close());
  const durMs = Math.ceil((src.ulaw.length / 8000) * 1000);
  const sipp = runSipp(t, dir, 'uac-siprec-sip-log-expect-200.xml', { PAUSE: String(2 * durMs + 3000) }, `127.0.0.1:${ingest.address().udp}`, ['-p', String(await freePort()), '-mp', String(await freePort(4))]);
  t.ok(await waitFor(() => answers.length > 0, 10_000), 'the INVITE was answered');
  const [p1] = [...answers[0].matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));
  const n = await sendRtp(t, '127.0.0.2', p1, src.ulaw, 0x1234);
  // After the first source: a second one, on the same leg, while the call is still up.
  const second = await sendRtp(t, '127.0.0.3', p1, src.ulaw.subarray(0, 160 * 10), 0x5678);
  const run = await sipp;
  t.equal(run.code, 0, `sipp: ${run.stderr.slice(-300)}`);
  t.ok(await waitFor(() => ended === 1), 'BYE ended the call');
  const leg = legs.find((l) => l.label === '1')!;
  const got = audio.get(leg.legId) ?? [];
  const pcm = new Int16Array(got.reduce((k, c) => k + c.length, 0));
  let o = 0;
  for (const c of got) {
    pcm.set(c, o);
    o += c.length;
  }
  return { src, n, second, stats: stats.get(leg.legId), pcm, metrics, roles };
}

t.test('latch: the leg takes the one source that sends, records it sample-exact, and refuses a second', { timeout: 90_000 }, async (t) => {
  const r = await call(t, 'latch');
  t.match(r.stats, { latching: 'latch', latched: true, packets: r.n, foreignDropped: r.second });
  let mismatches = 0;
  for (let i = 0; i < r.src.pcm.length; i++) if (r.pcm[i] !== r.src.pcm[i]) mismatches++;
  t.ok(r.pcm.length >= r.src.pcm.length, 'all of it delivered');
  t.equal(mismatches, 0, 'what 127.0.0.2 sent, sample for sample (nothing of 127.0.0.3 mixed in)');
  // The same call also says which rule split customer from agent (its metadata's AORs).
  t.same(r.roles, [{ by: ['aor'], fallback: false }]);
  t.equal(await metricValue(r.metrics, 'earshot_siprec_roles_total', { by: 'aor' }), 2);
});

t.test('strict (the default): media from an address other than the SDP’s is dropped and counted', { timeout: 90_000 }, async (t) => {
  const r = await call(t, 'strict');
  t.match(r.stats, { latching: 'strict', latched: false, packets: 0, foreignDropped: r.n + r.second });
  t.equal(r.pcm.filter((s) => s !== 0).length, 0, 'the leg recorded nothing');
});
