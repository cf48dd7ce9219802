// What the cluster bus costs: the same pipeline traffic in process (PipelineBus) and over NATS
// (a real nats-server on the loopback, started here and killed by PID), publisher and consumer in
// this process on separate connections.
//  - events: call events through the JetStream stream to core's durable consumer: rate and
//    publish-to-delivery latency (the added latency between end of speech on a speech node and the
//    transcript reaching core's analysis);
//  - audio: LEGS legs of 20 ms 8 kHz frames at real time for SECONDS: CPU per leg and frame latency.
//   npm run build && node dist/bench/cluster.js [seconds] [legs]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import pino from 'pino';
import { PipelineBus } from '../src/call/events.js';
import { inProcessBus, natsBus, type BusAdapter } from '../src/cluster/bus.js';
import { createMetrics } from '../src/metrics/registry.js';

const SECONDS = Number(process.argv[2] ?? 10);
const LEGS = Number(process.argv[3] ?? 50);
const EVENTS = 5000;
const log = pino({ level: 'silent' });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function events(pub: BusAdapter, sub: BusAdapter, n = EVENTS, paceMs = 0): Promise<{ rate: number; p50: number; p95: number }> {
  const lat: number[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const kind = `bench-${Math.random()}`; // a new durable replays the stream: count only this run's events
  const off = await sub.subscribe(`bench-${Date.now()}`, (_e, p) => {
    if ((p as { kind: string }).kind !== kind) return;
    lat.push(performance.now() - (p as { tMs: number }).tMs);
    if (lat.length === n) done();
  });
  const t0 = performance.now();
  // Paced in bursts of 50 (a busy site), not one giant burst that measures queueing only.
  for (let i = 0; i < n; i += paceMs ? 1 : 50) {
    for (let j = 0; j < (paceMs ? 1 : 50); j++) pub.publish('call.event', { callId: 'c', kind, tMs: performance.now() });
    await new Promise((r) => (paceMs ? setTimeout(r, paceMs) : setImmediate(r)));
  }
  await all;
  const rate = n / ((performance.now() - t0) / 1000);
  await off();
  return { rate, p50: pct(lat, 50), p95: pct(lat, 95) };
}

async function audio(bus: BusAdapter): Promise<{ cpuPerLegPct: number; p50: number; p95: number }> {
  const lat: number[] = [];
  const offs: (() => void)[] = [];
  for (let l = 0; l < LEGS; l++) offs.push(bus.subscribeAudio(`leg-${l}`, (c) => lat.push(performance.now() - c.tMs)));
  await new Promise((r) => setTimeout(r, 200));
  const samples = new Int16Array(160);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = t0;
  while (performance.now() - t0 < SECONDS * 1000) {
    for (let l = 0; l < LEGS; l++) bus.publishAudio({ legId: `leg-${l}`, samples, sampleRate: 8000, tMs: performance.now() });
    next += 20;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  await new Promise((r) => setTimeout(r, 200));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  offs.forEach((off) => off());
  return { cpuPerLegPct: ((cpu.user + cpu.system) / 1000 / wall / LEGS) * 100, p50: pct(lat, 50), p95: pct(lat, 95) };
}

async function main(): Promise<void> {
  if (spawnSync('nats-server', ['--version']).status !== 0) throw new Error('nats-server is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-nats-'));
  const port = await freePort();
  const srv = spawn('nats-server', ['-js', '-sd', join(dir, 'js'), '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      srv.stderr!.on('data', (d: Buffer) => ((out += d.toString()), out.includes('Server is ready') && resolve()));
      srv.once('exit', () => reject(new Error(`nats-server exited: ${out}`)));
    });
    const metrics = createMetrics({ defaults: false });
    const local = inProcessBus(new PipelineBus());
    const ncA = await connect({ servers: `127.0.0.1:${port}` });
    const ncB = await connect({ servers: `127.0.0.1:${port}` });
    const pub = await natsBus(ncA, { site: 'bench', node: 'speech', log, metrics });
    const sub = await natsBus(ncB, { site: 'bench', node: 'core', log, metrics });

    const e1 = await events(local, local);
    const e2 = await events(pub, sub);
    console.log(`events (${EVENTS}, bursts of 50): in process ${Math.round(e1.rate)}/s p50 ${ms(e1.p50)} p95 ${ms(e1.p95)}; NATS JetStream ${Math.round(e2.rate)}/s p50 ${ms(e2.p50)} p95 ${ms(e2.p95)}`);

    const e3 = await events(pub, sub, 1000, 5);
    console.log(`events paced (~200/s, a busy site's transcripts and call events): NATS JetStream publish-to-core p50 ${ms(e3.p50)} p95 ${ms(e3.p95)}`);

    const a1 = await audio(local);
    // Over NATS: publish on one connection, subscribe on the other (ingest -> speech).
    const pubAudio: BusAdapter = { ...pub, subscribeAudio: (id, fn) => sub.subscribeAudio(id, fn) };
    const a2 = await audio(pubAudio);
    console.log(`audio (${LEGS} legs x ${SECONDS} s, 20 ms frames): in process ${a1.cpuPerLegPct.toFixed(3)} % CPU/leg p50 ${ms(a1.p50)}; NATS ${a2.cpuPerLegPct.toFixed(3)} % CPU/leg (publisher + subscriber) p50 ${ms(a2.p50)} p95 ${ms(a2.p95)}`);
    await pub.close();
    await sub.close();
    await ncA.close();
    await ncB.close();
  } finally {
    if (srv.pid && srv.exitCode === null) process.kill(srv.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
