// What the cluster bus costs: the same pipeline traffic in process (PipelineBus) and over NATS
// (a real nats-server on the loopback, started here and killed by PID), publisher and consumer in
// this process on separate connections.
//  - events: call events through the JetStream stream to core's durable consumer: rate and
//    publish-to-delivery latency (the added latency between end of speech on a speech node and the
//    transcript reaching core's analysis);
//  - audio: LEGS legs of 20 ms 8 kHz frames at real time for SECONDS: CPU per leg and frame latency;
//  - speech: SPEECH_LEGS legs of the demo call (more than one process decodes at real time) fed at
//    real time for SPEECH_SECONDS to 1, then 2 speech processes (the built CLI, `serve --role
//    speech`, 1 recognition worker each, killed by PID) through the real leg dispatcher: legs at
//    real time = audio seconds decoded / wall seconds until the last leg is finished; and end of
//    speech (VAD segment end, leg time on the real-time feed) → its final at core, over the bus.
//   npm run build && node dist/bench/cluster.js [seconds] [legs] [speechLegs] [speechSeconds]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import { PipelineBus } from '../src/call/events.js';
import type { CallEvent, Transcript } from '../src/call/types.js';
import { inProcessBus, natsBus, type BusAdapter } from '../src/cluster/bus.js';
import { dispatchLegs } from '../src/cluster/legs.js';
import { joinSite } from '../src/cluster/members.js';
import { createMetrics } from '../src/metrics/registry.js';
import { parseWav } from '../src/speech/wav.js';

const SECONDS = Number(process.argv[2] ?? 10);
const LEGS = Number(process.argv[3] ?? 50);
const SPEECH_LEGS = Number(process.argv[4] ?? 8);
const SPEECH_SECONDS = Number(process.argv[5] ?? 30);
const EVENTS = 5000;
const cli = fileURLToPath(new URL('../src/cli/index.js', import.meta.url));
const wavPath = fileURLToPath(new URL('../../assets/demo/demo-call.wav', import.meta.url));
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

/** `serve --role speech` processes on the bench's nats-server; resolves once all have joined. */
async function speechNodes(nc: NatsConnection, url: string, dir: string, run: string, n: number): Promise<ChildProcess[]> {
  const members = await joinSite(nc, { site: run, node: `watch-${run}`, roles: ['core'], log, capacity: () => 0, load: () => 0, announceMs: 250 });
  const kids: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${run}-s${i}`;
    const cfg = join(dir, `${name}.yaml`);
    writeFileSync(cfg, JSON.stringify({
      dataDir: join(dir, name),
      log: { level: 'warn' },
      site: { id: run },
      sip: { front: 'off' },
      // Never shed within the run: what is fed is what is decoded (throughput, not shedding).
      speech: { workers: 1, maxQueueSeconds: 600 },
      cluster: { node: name, speechLegs: SPEECH_LEGS, nats: { servers: [url] } },
    }));
    const c = spawn(process.execPath, [cli, 'serve', '--config', cfg, '--role', 'speech'], { stdio: ['ignore', 'ignore', 'inherit'] });
    kids.push(c);
  }
  const end = Date.now() + 120_000;
  while (members.speech().nodes < n) {
    if (Date.now() > end) throw new Error('speech nodes did not join');
    await new Promise((r) => setTimeout(r, 100));
  }
  await members.close();
  return kids;
}

async function speech(nc: NatsConnection, url: string, dir: string, nodes: number): Promise<{ legsAtRealTime: number; wallS: number; finalP50: number; finalP95: number; finals: number }> {
  const run = `bench${nodes}x${Date.now().toString(36)}`;
  const kids = await speechNodes(nc, url, dir, run, nodes);
  try {
    const metrics = createMetrics({ defaults: false });
    const local = new PipelineBus();
    const ingest = await natsBus(nc, { site: run, node: `${run}-ingest`, log, metrics });
    const dispatch = await dispatchLegs(nc, ingest, local, { site: run, log, metrics });
    const core = await natsBus(nc, { site: run, node: `${run}-core`, log, metrics });
    // End of speech (the VAD segment's end, leg time) → the segment's final reaching core.
    const segEnd = new Map<string, number[]>();
    const lat: number[] = [];
    let t0 = 0;
    const off = await core.subscribe(`core-${run}`, (e, p) => {
      if (e === 'call.event' && (p as CallEvent).kind === 'speech') {
        const c = p as CallEvent;
        const l = segEnd.get(c.legId!) ?? [];
        l.push(Number(c.data?.endMs));
        segEnd.set(c.legId!, l);
      } else if (e === 'transcript' && (p as Transcript).final) {
        const x = p as Transcript;
        const ends = segEnd.get(x.legId) ?? [];
        const end = ends.find((v) => Math.abs(v - x.endMs) < 1500);
        if (end !== undefined) lat.push(performance.now() - (t0 + end));
      }
    });
    const wav = parseWav(readFileSync(wavPath));
    const frame = wav.sampleRate / 50;
    const frames = Math.min(Math.floor(wav.samples.length / wav.channels / frame), SPEECH_SECONDS * 50);
    const legs = Array.from({ length: SPEECH_LEGS }, (_, i) => ({ legId: `${run}-leg${i}`, callId: `${run}-call${i >> 1}`, role: (i % 2 ? 'agent' : 'customer') as 'agent' | 'customer', label: String(i) }));
    for (const l of legs) local.emit('leg.added', l);
    t0 = performance.now();
    let next = t0;
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < legs.length; i++) {
        const ch = i % wav.channels;
        const samples = new Int16Array(frame);
        for (let k = 0; k < frame; k++) samples[k] = wav.samples[(f * frame + k) * wav.channels + ch];
        local.emit('leg.audio', { legId: legs[i].legId, samples, sampleRate: wav.sampleRate, tMs: f * 20 });
      }
      next += 20;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    for (const l of legs) local.emit('leg.ended', l);
    await dispatch.legsDone(legs.map((l) => l.legId), 120_000);
    const wallS = (performance.now() - t0) / 1000;
    await ingest.flush();
    await off();
    await dispatch.close();
    await ingest.close();
    await core.close();
    return { legsAtRealTime: (legs.length * frames * 0.02) / wallS, wallS, finalP50: pct(lat, 50), finalP95: pct(lat, 95), finals: lat.length };
  } finally {
    for (const c of kids) if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
  }
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

    const s1 = await speech(ncA, `nats://127.0.0.1:${port}`, dir, 1);
    const s2 = await speech(ncA, `nats://127.0.0.1:${port}`, dir, 2);
    const line = (n: number, s: typeof s1) => `${n} speech process(es): ${s.legsAtRealTime.toFixed(1)} legs at real time (${SPEECH_LEGS} legs x ${SPEECH_SECONDS} s done in ${s.wallS.toFixed(1)} s); end of speech -> final at core p50 ${ms(s.finalP50)} p95 ${ms(s.finalP95)} (${s.finals} finals)`;
    console.log(line(1, s1));
    console.log(line(2, s2));
    console.log(`2 vs 1 speech processes, same run: ${(s2.legsAtRealTime / s1.legsAtRealTime).toFixed(2)}x the legs at real time`);
    await ncA.close();
    await ncB.close();
  } finally {
    if (srv.pid && srv.exitCode === null) process.kill(srv.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
