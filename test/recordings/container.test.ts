import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SealedReader, SealedWriter } from '../../src/recordings/container.js';
import { openKeyRing, rotateKey } from '../../src/recordings/keyring.js';
import { renderWav, wavLength } from '../../src/recordings/playback.js';
import { LegEncoder, OPUS_DELAY_MS } from '../../src/recordings/opus.js';

const meta = { sampleRate: 8000, frameSamples: 160, framesPerChunk: 4 };

function sealFile(path: string, keyId: string, key: Buffer, frames: Buffer[], m = meta): void {
  const parts: Buffer[] = [];
  const w = new SealedWriter((b) => parts.push(b), keyId, key, m);
  for (const f of frames) w.add(f);
  w.close();
  writeFileSync(path, Buffer.concat(parts));
}

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

t.test('key ring: made 0600 on first use, rotation keeps old keys readable', async (t) => {
  const path = join(t.testdir(), 'keys', 'ring');
  t.equal(code(() => openKeyRing(path)), 'EARSHOT_ERR_RECORDING_KEY', 'no ring and no create: key error');
  const ring = openKeyRing(path, { create: true });
  t.equal(statSync(path).mode & 0o777, 0o600);
  const first = ring.activeId;
  const next = rotateKey(path);
  t.not(next, first);
  const again = openKeyRing(path);
  t.equal(again.activeId, next, 'the new key is active');
  t.same(again.key(first), ring.key(first), 'the old key is still there for reading');
  t.equal(statSync(path).mode & 0o777, 0o600, 'still 0600 after rotation');
  t.equal(code(() => again.key('k-nope')), 'EARSHOT_ERR_RECORDING_KEY');
  writeFileSync(path, '{"active":"x","keys":{}}');
  t.equal(code(() => openKeyRing(path)), 'EARSHOT_ERR_RECORDING_KEY', 'malformed ring');
});

t.test('round trip, range reads decrypt single chunks, tamper and truncation are corrupt, wrong key is a key error', async (t) => {
  const dir = t.testdir();
  const ring = openKeyRing(join(dir, 'ring'), { create: true });
  const { id, key } = ring.active();
  const frames = Array.from({ length: 10 }, (_, i) => Buffer.from(`frame-${i}-`.repeat(i + 1)));
  const file = join(dir, 'a.esrc');
  sealFile(file, id, key, frames);
  const bytes = readFileSync(file);
  t.notOk(bytes.includes(Buffer.from('frame-3')), 'no plaintext in the file');

  const r = new SealedReader(file, (k) => ring.key(k));
  t.equal(r.frames, 10);
  t.equal(r.chunkCount, 3, '4 + 4 + 2 frames');
  t.same(r.chunk(1), frames.slice(4, 8));
  t.same([...r.chunk(0), ...r.chunk(1), ...r.chunk(2)], frames);
  r.close();

  const sizes: number[] = [];
  let off = bytes.indexOf(Buffer.from(id)) + id.length + 24;
  while (off < bytes.length) {
    sizes.push(off);
    off += 4 + bytes.readUInt32BE(off);
  }
  t.equal(sizes.length, 3);
  // Flip one byte inside the second chunk's ciphertext: the others still open.
  const tampered = Buffer.from(bytes);
  tampered[sizes[1] + 10] ^= 1;
  writeFileSync(join(dir, 't.esrc'), tampered);
  const rt = new SealedReader(join(dir, 't.esrc'), (k) => ring.key(k));
  t.equal(code(() => rt.chunk(1)), 'EARSHOT_ERR_RECORDING_CORRUPT', 'an altered chunk fails authentication');
  t.same(rt.chunk(0), frames.slice(0, 4), 'its neighbours still open');
  rt.close();

  for (const cut of [bytes.length - 1, bytes.length - 30, 40]) {
    writeFileSync(join(dir, 'cut.esrc'), bytes.subarray(0, cut));
    t.equal(code(() => new SealedReader(join(dir, 'cut.esrc'), (k) => ring.key(k))), 'EARSHOT_ERR_RECORDING_CORRUPT', `cut at ${cut}`);
  }
  // Cut exactly at a chunk boundary: the remaining last chunk lacks the final flag.
  writeFileSync(join(dir, 'cut2.esrc'), bytes.subarray(0, sizes[2]));
  t.equal(code(() => new SealedReader(join(dir, 'cut2.esrc'), (k) => ring.key(k))), 'EARSHOT_ERR_RECORDING_CORRUPT', 'a dropped final chunk is detected');

  rotateKey(join(dir, 'ring'));
  const other = openKeyRing(join(dir, 'other'), { create: true });
  t.equal(code(() => new SealedReader(file, () => other.active().key)), 'EARSHOT_ERR_RECORDING_KEY', 'wrong key');
  t.equal(code(() => new SealedReader(file, (k) => other.key(k))), 'EARSHOT_ERR_RECORDING_KEY', 'key id not in the ring');
  const rotated = openKeyRing(join(dir, 'ring'));
  t.not(rotated.activeId, id);
  t.equal(new SealedReader(file, (k) => rotated.key(k)).frames, 10, 'after rotation the old recording still opens');
  t.equal(code(() => new SealedReader(join(dir, 'missing.esrc'), (k) => ring.key(k))), 'EARSHOT_ERR_RECORDING_IO');
});

t.test('Opus through the container: any WAV range renders the same bytes as the whole file', async (t) => {
  const dir = t.testdir();
  const ring = openKeyRing(join(dir, 'ring'), { create: true });
  const { id, key } = ring.active();
  const packets: Buffer[] = [];
  const enc = new LegEncoder(8000, 16000, (p) => packets.push(p));
  const pcm = new Int16Array(8000 * 3);
  // A chirp with a slow swell: aperiodic, so the correlation peak is the codec's real delay.
  for (let i = 0; i < pcm.length; i++) {
    const s = i / 8000;
    pcm[i] = Math.round(8000 * Math.sin(2 * Math.PI * (200 * s + 150 * s * s)) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * s)));
  }
  enc.push(pcm);
  enc.close();
  t.equal(packets.length, 150, '3 s of 20 ms frames');
  t.equal(new Set(packets.map((p) => p.length)).size, 1, 'constant bitrate: every packet the same size');
  const file = join(dir, 'tone.esrc');
  // 0.5 s chunks: the ranges below cross chunk seams, where decoding restarts after a warm-up.
  sealFile(file, id, key, packets, { ...meta, framesPerChunk: 25 });
  const r = new SealedReader(file, (k) => ring.key(k));
  const size = wavLength(r);
  t.equal(size, 44 + 150 * 160 * 2);
  const whole = renderWav(r);
  t.equal(whole.length, size);
  t.equal(whole.subarray(0, 4).toString(), 'RIFF');
  for (const [a, b] of [[0, 10], [44, 1000], [1234, 9999], [size - 100, size - 1], [7000, 30000]]) {
    t.same(renderWav(r, a, b), whole.subarray(a, b + 1), `range ${a}-${b}`);
  }
  // Decoded tone matches the source within codec error (lag-aligned correlation).
  const out = new Int16Array(whole.buffer.slice(whole.byteOffset + 44, whole.byteOffset + whole.length));
  let best = 0;
  let at = 0;
  for (let lag = 0; lag < 200; lag++) {
    let xy = 0, xx = 0, yy = 0;
    for (let i = 800; i < 20000; i++) {
      xy += pcm[i] * out[i + lag];
      xx += pcm[i] * pcm[i];
      yy += out[i + lag] * out[i + lag];
    }
    const c = xy / Math.sqrt(xx * yy);
    if (c > best) [best, at] = [c, lag];
  }
  t.ok(best > 0.9, `decoded audio correlates with the source (${best.toFixed(3)})`);
  t.equal(Math.round((at * 1000) / 8000), Math.round(OPUS_DELAY_MS), 'at the codec delay the stage compensates for');
  r.close();
});
