// Leg leases across real processes: speech nodes are the built CLI (`earshot serve --role speech`)
// as child processes; ingest and core are the real cluster modules in this process; one real
// nats-server on a loopback port. Loopback only (no network namespaces in this slice).
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import pino from 'pino';
import { PipelineBus } from '../../src/call/events.js';
import type { CallEvent, LegInfo, Transcript } from '../../src/call/types.js';
import { natsBus } from '../../src/cluster/bus.js';
import { dispatchLegs, legsBucket, SEQ_SPAN, type LegRecord } from '../../src/cluster/legs.js';
import { joinSite } from '../../src/cluster/members.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { parseWav } from '../../src/speech/wav.js';
import { natsServerMissing, startNats } from './nats-helper.js';

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));
const wavPath = fileURLToPath(new URL('../../assets/demo/demo-call.wav', import.meta.url));
const log = pino({ level: 'silent' });
const skip = natsServerMissing() || (existsSync(cli) ? false : 'dist/ not built (npm run build)');

const until = async (what: string, f: () => boolean | Promise<boolean>, ms = 60_000) => {
  const end = Date.now() + ms; // a bound against hanging, not an assertion on speed
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

function speechNode(t: { teardown(fn: () => void): void }, dir: string, url: string, name: string): ChildProcess {
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(cfg, [
    `dataDir: ${join(dir, name)}`,
    'log: { level: warn }',
    'sip: { front: "off" }',
    'speech: { workers: 1 }',
    `cluster: { node: ${name}, speechLegs: 4, leaseSeconds: 1.5, nats: { servers: ["${url}"] } }`,
  ].join('\n'));
  const child = spawn(process.execPath, [cli, 'serve', '--config', cfg, '--role', 'speech'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const kill = () => child.pid && child.exitCode === null && child.signalCode === null && process.kill(child.pid, 'SIGKILL');
  const killer = setTimeout(kill, 170_000);
  child.once('exit', (code, sig) => {
    clearTimeout(killer);
    if (code && code !== 0) process.stderr.write(`speech node ${name} exited ${code} ${sig}: ${err}\n`);
  });
  t.teardown(() => {
    clearTimeout(killer);
    kill();
  });
  return child;
}

t.test('a SIGKILLed speech node: its legs move to another node, the gap is recorded, every leg completes', { skip, timeout: 180_000 }, async (t) => {
  const srv = await startNats();
  const dir = mkdtempSync(join(tmpdir(), 'earshot-cluster-'));
  t.teardown(async () => {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const nc = await connect({ servers: srv.url, maxReconnectAttempts: -1 });
  t.teardown(() => nc.close());
  const metrics = createMetrics({ defaults: false });
  const site = 'site-1';

  // Ingest side: the real dispatcher on a local bus. Core side: the durable consumer.
  const local = new PipelineBus();
  const ingestBus = await natsBus(nc, { site, node: 'ingest-t', log, metrics });
  const dispatch = await dispatchLegs(nc, ingestBus, local, { site, log, metrics });
  const coreBus = await natsBus(nc, { site, node: 'core-t', log, metrics });
  const transcripts: Transcript[] = [];
  const events: CallEvent[] = [];
  const offCore = await coreBus.subscribe('core-site-1', (e, p) => {
    if (e === 'transcript') transcripts.push(p as Transcript);
    if (e === 'call.event') events.push(p as CallEvent);
  });
  const members = await joinSite(nc, { site, node: 'watcher', roles: ['core'], log, capacity: () => 0, load: () => 0, announceMs: 250 });
  t.teardown(async () => {
    await offCore();
    await dispatch.close();
    await members.close();
  });
  const kv = await nc.jetstream().views.kv(legsBucket(site));
  const holder = async (legId: string) => ((await kv.get(legId))?.json() as LegRecord | undefined)?.holder;

  const a = speechNode(t, dir, srv.url, 'speech-a');
  await until('speech-a to join', () => members.nodes().some((n) => n.node === 'speech-a' && n.capacity === 4));

  const wav = parseWav(readFileSync(wavPath));
  const legs: LegInfo[] = [0, 1].map((ch) => ({ legId: `leg-${ch}`, callId: 'call-1', role: ch ? 'agent' : 'customer', label: String(ch) }));
  for (const l of legs) local.emit('leg.added', l);
  await until('speech-a to hold both legs', async () => (await holder('leg-0')) === 'speech-a' && (await holder('leg-1')) === 'speech-a');

  // Stream the call at 4x real time: 20 ms frames per channel.
  const frame = wav.sampleRate / 50;
  const frames = Math.floor(wav.samples.length / wav.channels / frame);
  let sent = 0;
  const send = (n: number) => {
    for (const end = Math.min(frames, sent + n); sent < end; sent++) {
      for (let ch = 0; ch < 2; ch++) {
        const s = new Int16Array(frame);
        for (let i = 0; i < frame; i++) s[i] = wav.samples[(sent * frame + i) * wav.channels + ch];
        local.emit('leg.audio', { legId: `leg-${ch}`, samples: s, sampleRate: wav.sampleRate, tMs: sent * 20 });
      }
    }
  };
  const pump = async (until: number) => {
    while (sent < until) {
      send(4);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await pump(Math.floor(frames / 3));
  // speech-a has published a final before it dies (on a loaded machine its decoding lags the 4x
  // stream), so the test sees both holders' utterances and their seq ranges.
  await until('a final from speech-a', () => transcripts.some((x) => x.final && x.seq < SEQ_SPAN));

  const killedAt = Date.now();
  process.kill(a.pid!, 'SIGKILL');
  // Audio keeps flowing while nobody holds the legs: ingest buffers it for the next holder. The
  // next holder only starts after a third of the call (15.5 s of audio) has gone by: a takeover as
  // late as on a loaded site, so the replay must reach back to the dead holder's last safe point
  // however much audio came since, not over a fixed recent window.
  await pump(Math.floor((2 * frames) / 3));
  const b = speechNode(t, dir, srv.url, 'speech-b');
  await until('both legs to move to speech-b', async () => (await holder('leg-0')) === 'speech-b' && (await holder('leg-1')) === 'speech-b');
  const movedMs = Date.now() - killedAt;
  t.comment(`legs moved ${movedMs} ms after SIGKILL (lease 1.5 s)`);
  await pump(frames);
  for (const l of legs) local.emit('leg.ended', l);
  await dispatch.legsDone(legs.map((l) => l.legId), 60_000);
  await ingestBus.flush();
  await until('the handover events at core', () => events.filter((e) => e.kind === 'speech-handover').length === 2);

  const handovers = events.filter((e) => e.kind === 'speech-handover');
  t.same(handovers.map((e) => e.legId).sort(), ['leg-0', 'leg-1'], 'the gap is recorded on each leg');
  for (const h of handovers) {
    const d = h.data as { gapFromMs: number; gapToMs: number; gapMs: number; handovers: number; node: string };
    t.equal(d.node, 'speech-b');
    t.equal(d.handovers, 1);
    t.ok(d.gapToMs >= d.gapFromMs && d.gapMs === d.gapToMs - d.gapFromMs, 'gap bounds are consistent');
    // Ingest replays from the dead holder's last safe point, so what is missing is less than one
    // lease: on an idle machine a frame (20 ms); with both cores busy (CI) 60-540 ms were seen, as
    // renewals run late. Without the replay the gap is the whole time nobody held the leg (here
    // more than 15 s of audio); with a fixed 15 s replay window, as before, 2-3 s.
    t.ok(d.gapMs < 1500, `the replay closed the gap (${d.gapMs} ms, less than the 1.5 s lease)`);
  }
  t.equal(await kv.get('leg-0').then((e) => e?.operation ?? 'gone'), 'DEL', 'finished legs leave the work queue');
  // Utterances from both holders reached core; the new holder's numbers never collide with the old one's.
  t.comment(`gaps: ${handovers.map((h) => `${h.legId} ${(h.data as { gapMs: number }).gapMs} ms`).join(', ')}`);
  t.ok(transcripts.some((x) => x.final && x.seq < SEQ_SPAN), 'finals from speech-a (before the kill) reached core');
  const after = transcripts.filter((x) => x.final && x.seq >= SEQ_SPAN);
  t.ok(after.length > 0, `finals from speech-b reached core (${after.length})`);
  const keys = transcripts.filter((x) => x.final).map((x) => `${x.legId}:${x.seq}`);
  t.equal(new Set(keys).size, keys.length, 'no duplicate (leg, seq) finals');
  t.ok(b.exitCode === null, 'speech-b still running');
  await new Promise<void>((resolve) => {
    b.once('exit', () => resolve());
    process.kill(b.pid!, 'SIGTERM');
  });
});
