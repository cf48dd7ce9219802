// The recordings stage on a real bus, store and encoder threads, with an injected free-space probe
// (the machine cannot be made to run out of disk on demand; everything else is real).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { PipelineBus } from '../../src/call/events.js';
import { validateConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createRecordings, keyFilePath, openKeyRing, renderWav, SealedReader } from '../../src/recordings/index.js';
import { openStore } from '../../src/store/index.js';

function rig(t: Test, over: Record<string, unknown> = {}) {
  const dir = t.testdir();
  const config = validateConfig({ dataDir: dir, privacy: { storeAudio: true }, recordings: { minFreeMb: 100 }, ...over });
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(dir, 'earshot.db'), metrics });
  const bus = new PipelineBus();
  const disk = { free: 10 * 1024 ** 3 };
  const rec = createRecordings({ config, log: pino({ level: 'silent' }), bus, store, metrics }, { freeBytes: () => disk.free });
  t.teardown(async () => {
    await rec.close();
    store.close();
  });
  return { dir, config, metrics, store, bus, disk, rec };
}

const tone = (n: number, rate: number) => Int16Array.from({ length: n }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / rate)));

function leg(bus: PipelineBus, callId: string, legId: string, seconds: number, from = 0) {
  bus.emit('leg.added', { callId, legId, role: 'customer', label: '0' });
  for (let s = from; s < from + seconds * 50; s++) bus.emit('leg.audio', { legId, samples: tone(160, 8000), sampleRate: 8000, tMs: s * 20 });
}

async function metric(metrics: ReturnType<typeof createMetrics>, name: string): Promise<number> {
  const m = metrics.registry.getSingleMetric(name);
  return m ? (await m.get()).values.reduce((s, v) => s + v.value, 0) : NaN;
}

t.test('a leg is recorded, sealed and listed; DTMF muted; nothing is decodable without the ring', async (t) => {
  const { bus, store, rec, config } = rig(t);
  leg(bus, 'c1', 'l1', 2);
  bus.emit('call.event', { callId: 'c1', legId: 'l1', kind: 'dtmf', tMs: 1000, data: { durationMs: 100 } });
  bus.emit('leg.progress', { legId: 'l1', doneSec: Number.MAX_VALUE });
  bus.emit('call.ended', { callId: 'c1', state: 'ended', endedAt: Date.now() });
  await rec.idle();
  const [row] = store.repos.recordings.byCall('c1');
  t.equal(row.status, 'complete');
  t.same(row.muted, [{ startMs: 940, endMs: 1200, reason: 'dtmf' }]);
  t.equal(row.durationMs, 2000);
  const ring = openKeyRing(keyFilePath(config));
  const r = new SealedReader(row.path, (id) => ring.key(id));
  const wav = renderWav(r);
  r.close();
  const pcm = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length));
  const at = (ms: number) => Math.round(((ms - row.offsetMs) * 8000) / 1000);
  const rms = (a: number, b: number) => Math.sqrt(pcm.subarray(a, b).reduce((s, x) => s + x * x, 0) / (b - a));
  t.ok(rms(at(980), at(1160)) < 5, 'the DTMF span is silent');
  t.ok(rms(at(200), at(800)) > 2000, 'the tone is there elsewhere');
});

t.test('disk guard: below minFreeMb writing stops (open legs closed as stopped, new legs skipped), /readyz says so, and resumes', async (t) => {
  const { bus, store, rec, disk, metrics } = rig(t);
  leg(bus, 'c1', 'l1', 1);
  bus.emit('leg.progress', { legId: 'l1', doneSec: 0.5 });
  t.equal(rec.ready().state, 'on');
  disk.free = 50 * 1024 * 1024;
  t.equal(rec.ready().state, 'stopped', 'readiness reports the guard');
  t.equal(await metric(metrics, 'earshot_recordings_disk_guard'), 1);
  leg(bus, 'c2', 'l2', 1);
  t.equal(await metric(metrics, 'earshot_recordings_skipped_legs_total'), 1, 'a new leg is not recorded');
  bus.emit('call.ended', { callId: 'c1', state: 'ended', endedAt: Date.now() });
  bus.emit('call.ended', { callId: 'c2', state: 'ended', endedAt: Date.now() });
  await rec.idle();
  const [row] = store.repos.recordings.byCall('c1');
  t.equal(row.status, 'stopped', 'the open leg was closed with what it had');
  t.ok(row.durationMs > 0 && row.durationMs <= 500, `only the settled audio (${row.durationMs} ms)`);
  t.same(store.repos.recordings.byCall('c2'), []);
  disk.free = 10 * 1024 ** 3;
  t.equal(rec.ready().state, 'on', 'space back: on again');
  leg(bus, 'c3', 'l3', 1);
  bus.emit('leg.progress', { legId: 'l3', doneSec: Number.MAX_VALUE });
  bus.emit('call.ended', { callId: 'c3', state: 'ended', endedAt: Date.now() });
  await rec.idle();
  t.equal(store.repos.recordings.byCall('c3')[0]?.status, 'complete');
});

t.test('storeAudio off: the stage is inert, no file or key ring appears', async (t) => {
  const { bus, dir, rec, store } = rig(t, { privacy: { storeAudio: false } });
  leg(bus, 'c1', 'l1', 1);
  bus.emit('leg.progress', { legId: 'l1', doneSec: Number.MAX_VALUE });
  bus.emit('call.ended', { callId: 'c1', state: 'ended', endedAt: Date.now() });
  await rec.idle();
  t.equal(rec.ready().state, 'off');
  t.same(store.repos.recordings.byCall('c1'), []);
  t.notOk(existsSync(join(dir, 'recordings')));
  t.notOk(existsSync(join(dir, 'recordings.keys')));
  t.same(readdirSync(dir).filter((f) => !f.startsWith('earshot.db')), []);
});
