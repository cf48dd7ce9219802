import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { linearToAlaw, linearToUlaw } from '../../../src/ingest/import/g711.js';
import { importFile } from '../../../src/ingest/import/index.js';
import { joined, pcm, rig, wav } from './rig.js';

// WAV and headerless imports. The speech port is a fake (see rig.ts); the rest is real.

t.test('stereo WAV → customer and agent legs with their own samples, 20 ms frames, legDone before close', async (t) => {
  const dir = t.testdir();
  const n = 8000 + 80; // one second and a half frame
  const file = join(dir, 'call.wav');
  writeFileSync(file, wav({ channels: 2, rate: 8000, extra: true, data: pcm(2, n, (c, i) => (c === 0 ? i % 1000 : -(i % 1000) - 1)) }));
  const r = rig();
  const progress: number[] = [];
  const res = await importFile(r.deps, file, { onProgress: (d) => progress.push(d) });
  t.equal(res.duplicate, false);
  t.same(r.legs.map((l) => [l.role, l.label]), [['customer', '0'], ['agent', '1']]);
  const [cust, agent] = r.legs.map((l) => r.audio.get(l.legId)!);
  t.same([...joined(cust)], Array.from({ length: n }, (_, i) => i % 1000), 'channel 0 reaches the customer leg intact');
  t.same([...joined(agent)], Array.from({ length: n }, (_, i) => -(i % 1000) - 1), 'channel 1 reaches the agent leg intact');
  t.same(cust.slice(0, 3).map((c) => [c.tMs, c.samples.length, c.sampleRate]), [[0, 160, 8000], [20, 160, 8000], [40, 160, 8000]]);
  t.equal(cust.at(-1)!.tMs, 1000, 'the last partial frame starts at 1000 ms');
  t.equal(cust.at(-1)!.samples.length, 80);
  t.equal(progress.at(-1), 1010);
  t.same(r.order, ['started', 'legDone:customer', 'legDone:agent', 'ended:ended']);
  t.equal(r.imports.find([...r.imports.rows.keys()][0])?.state, 'done');
  t.equal(r.calls.size, 0);
});

t.test('the same file twice gives one call', async (t) => {
  const file = join(t.testdir(), 'a.wav');
  writeFileSync(file, wav({ channels: 1, rate: 16000, data: pcm(1, 3200, (_c, i) => i) }));
  const r = rig();
  const first = await importFile(r.deps, file);
  const second = await importFile(r.deps, file);
  t.same(second, { callId: first.callId, duplicate: true });
  t.equal(r.order.filter((o) => o === 'started').length, 1);
  t.equal(r.legs.length, 1);
  t.equal(r.legs[0].role, 'mixed', 'mono defaults to a mixed leg');
});

t.test('corrupt and unsupported files are rejected with a clear error and counted', async (t) => {
  const dir = t.testdir();
  const good = wav({ channels: 1, rate: 8000, data: pcm(1, 800, () => 0) });
  const cases: [string, Buffer, string][] = [
    ['empty.wav', Buffer.alloc(0), 'empty'],
    ['trunc.wav', good.subarray(0, 30), 'bad-fmt'],
    ['avi.wav', Buffer.concat([Buffer.from('RIFF\0\0\0\0AVI ', 'latin1'), Buffer.alloc(40)]), 'not-riff'],
    ['adpcm.wav', wav({ tag: 2, bits: 4, channels: 1, rate: 8000, data: Buffer.alloc(100) }), 'unsupported-format'],
    ['zero-ch.wav', wav({ channels: 0, rate: 8000, data: Buffer.alloc(100) }), 'bad-fmt'],
    ['nodata.wav', good.subarray(0, 44 - 8), 'no-data'],
    ['noise.bin', Buffer.from('not audio at all'), 'unknown-format'],
  ];
  const r = rig();
  for (const [name, bytes, reason] of cases) {
    const f = join(dir, name);
    writeFileSync(f, bytes);
    await t.rejects(importFile(r.deps, f), { code: 'EARSHOT_ERR_IMPORT_FORMAT', reason }, name);
  }
  await t.rejects(importFile(r.deps, join(dir, 'nodata.wav'), { channels: ['agent', 'customer'] }), { code: 'EARSHOT_ERR_IMPORT_FORMAT' });
  const f = join(dir, 'ok.wav');
  writeFileSync(f, good);
  await t.rejects(importFile(r.deps, f, { channels: ['agent', 'customer'] }), { code: 'EARSHOT_ERR_IMPORT_FORMAT', reason: 'bad-options' });
  t.equal(r.order.length, 0, 'no call was opened for a bad file');
  const counted = await r.bad();
  t.equal(counted.find((v) => v.labels.reason === 'unknown-format' && v.labels.parser === 'import')?.value, 1);
  t.equal(counted.reduce((s, v) => s + v.value, 0), cases.length + 2);
});

t.test('G.711: µ-law WAV and headerless A-law decode to the right samples', async (t) => {
  const dir = t.testdir();
  const src = Array.from({ length: 400 }, (_, i) => Math.round(8000 * Math.sin(i / 7)));
  const ulaw = Buffer.from(src.map(linearToUlaw));
  writeFileSync(join(dir, 'u.wav'), wav({ tag: 7, bits: 8, channels: 1, rate: 8000, data: ulaw }));
  writeFileSync(join(dir, 'a.al'), Buffer.from(src.map(linearToAlaw)));
  const r = rig();
  await importFile(r.deps, join(dir, 'u.wav'), { channels: ['agent'] });
  await importFile(r.deps, join(dir, 'a.al'));
  t.same(r.legs.map((l) => [l.role, l.codec]), [['agent', 'pcmu'], ['mixed', 'pcma']]);
  for (const leg of r.legs) {
    const got = joined(r.audio.get(leg.legId)!);
    t.equal(got.length, 400);
    // G.711 is lossy: half a segment step (under 1/16 of the value, ≤ 8 near zero) is exact decoding.
    const off = src.filter((s, i) => Math.abs(s - got[i]) > Math.max(8, Math.abs(s) / 16));
    t.same(off, [], `${leg.codec} decodes within quantisation`);
  }
});

t.test('a real sox-made stereo WAV imports with 16 kHz frames', async (t) => {
  const file = join(t.testdir(), 'sox.wav');
  execFileSync('sox', ['-n', '-r', '16000', '-c', '2', '-b', '16', file, 'synth', '1', 'sine', '440', 'sine', '880'], { timeout: 10_000 });
  const r = rig();
  await importFile(r.deps, file);
  for (const leg of r.legs) {
    const chunks = r.audio.get(leg.legId)!;
    t.equal(chunks.length, 50);
    t.ok(chunks.every((c) => c.samples.length === 320 && c.sampleRate === 16000));
  }
});

t.test('an import left running by a crash is redone from the start', async (t) => {
  const file = join(t.testdir(), 'crash.wav');
  writeFileSync(file, wav({ channels: 2, rate: 8000, data: pcm(2, 1600, () => 1) }));
  const r = rig();
  const first = await importFile(r.deps, file);
  const row = [...r.imports.rows.values()][0];
  row.state = 'running'; // as if the process died mid-import
  const discarded: string[] = [];
  const discard = r.imports.discard;
  r.imports.discard = (sha) => (discarded.push(sha), discard(sha));
  const again = await importFile(r.deps, file);
  t.equal(again.duplicate, false);
  t.not(again.callId, first.callId);
  t.same(discarded, [row.sha256], 'the partial call was discarded before the redo');
  t.equal(r.imports.find(row.sha256)?.state, 'done');
  t.equal(r.imports.find(row.sha256)?.callId, again.callId);
});

t.test('waits while the recogniser is behind, drops nothing', async (t) => {
  const file = join(t.testdir(), 'long.wav');
  writeFileSync(file, wav({ channels: 1, rate: 8000, data: pcm(1, 8000 * 3, (_c, i) => i % 100) }));
  let pending = 100;
  const r = rig({ pendingSeconds: () => pending });
  const done = importFile(r.deps, file);
  await new Promise((res) => setTimeout(res, 200));
  const frames = () => [...r.audio.values()].reduce((s, a) => s + a.length, 0);
  t.equal(frames(), 50, 'one second went out, then the import waited');
  pending = 0;
  await done;
  t.equal(frames(), 150);
});

t.test('abort closes the call as interrupted and marks the import failed', async (t) => {
  const file = join(t.testdir(), 'abort.wav');
  writeFileSync(file, wav({ channels: 1, rate: 8000, data: pcm(1, 8000 * 3, () => 0) }));
  const ac = new AbortController();
  const r = rig({ pendingSeconds: () => 100 });
  const p = importFile(r.deps, file, { signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await t.rejects(p, { name: 'AbortError' });
  t.same(r.order, ['started', 'ended:interrupted']);
  t.equal([...r.imports.rows.values()][0].state, 'failed');
});

t.test('the bundled demo call imports as a customer and an agent leg', async (t) => {
  const file = new URL('../../../assets/demo/demo-call.wav', import.meta.url).pathname;
  const r = rig();
  await importFile(r.deps, file);
  t.same(r.legs.map((l) => l.role), ['customer', 'agent']);
  const chunks = r.audio.get(r.legs[0].legId)!;
  t.equal(chunks[0].sampleRate, 16000);
  const seconds = chunks.length / 50;
  t.ok(seconds > 40 && seconds < 60, `40–60 s long (${seconds})`);
});
