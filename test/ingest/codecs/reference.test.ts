// Each decoder against an independent reference decoding the same bitstream: sox for G.711 and L16,
// ffmpeg for G.722 and Opus. G.711/G.722 must be bit-exact; Opus (ffmpeg's libopus at 48 kHz
// resampled vs opus-decoder's wasm libopus decoding at 16 kHz) within a stated SNR.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDecoder, isDecodable } from '../../../src/ingest/codecs/index.js';

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { timeout: 30000, stdio: ['ignore', 'ignore', 'pipe'] });
const s16 = (file: string) => {
  const b = readFileSync(file);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

function speech(dir: string): string {
  const wav = path.join(dir, 'speech.wav');
  run('flite', ['-voice', 'slt', '-t', 'Please hold while I transfer your call to the billing department.', '-o', wav]);
  return wav;
}

/** Opus packets from an Ogg Opus file (RFC 7845): the first two are headers. */
function oggPackets(buf: Buffer): Buffer[] {
  const packets: Buffer[] = [];
  let cur: Buffer[] = [];
  let off = 0;
  while (off + 27 <= buf.length && buf.toString('latin1', off, off + 4) === 'OggS') {
    const nseg = buf[off + 26];
    const table = buf.subarray(off + 27, off + 27 + nseg);
    let p = off + 27 + nseg;
    for (const len of table) {
      cur.push(buf.subarray(p, p + len));
      p += len;
      if (len < 255) {
        packets.push(Buffer.concat(cur));
        cur = [];
      }
    }
    off = p;
  }
  return packets.slice(2);
}

function snrDb(ref: Int16Array, got: Int16Array, lag: number, from: number, to: number): number {
  let sig = 0;
  let err = 0;
  for (let i = from; i < to; i++) {
    const d = (got[i + lag] ?? 0) - ref[i];
    sig += ref[i] * ref[i];
    err += d * d;
  }
  return err === 0 ? Infinity : 10 * Math.log10(sig / err);
}

t.test('PCMU and PCMA: bit-exact with sox', async (t) => {
  const dir = t.testdir();
  const wav = speech(dir);
  for (const [name, type] of [['PCMU', 'ul'], ['PCMA', 'al']] as const) {
    const enc = path.join(dir, `s.${type}`);
    const ref = path.join(dir, `${type}.raw`);
    run('sox', [wav, '-r', '8000', '-c', '1', '-t', type, enc]);
    run('sox', ['-t', type, '-r', '8000', '-c', '1', enc, '-t', 's16', '-L', ref]);
    const dec = await createDecoder({ name, clockRate: 8000 });
    const got = dec.decode(readFileSync(enc));
    const want = s16(ref);
    t.equal(got.length, want.length);
    t.same(Array.from(got), Array.from(want), `${name} decode equals sox`);
  }
});

t.test('G.722: bit-exact with ffmpeg, 16 kHz out of an 8 kHz RTP clock', async (t) => {
  const dir = t.testdir();
  const wav = speech(dir);
  const enc = path.join(dir, 's.g722');
  const ref = path.join(dir, 'g722.raw');
  run('ffmpeg', ['-loglevel', 'error', '-y', '-i', wav, '-ar', '16000', '-ac', '1', '-acodec', 'g722', '-f', 'g722', enc]);
  run('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'g722', '-i', enc, '-f', 's16le', '-acodec', 'pcm_s16le', ref]);
  const dec = await createDecoder({ name: 'G722', clockRate: 8000 });
  t.equal(dec.sampleRate, 16000);
  t.equal(dec.clockRate, 8000);
  const bits = readFileSync(enc);
  // Decode packet by packet (160 bytes = 20 ms) as RTP would: state carries across packets.
  const parts: Int16Array[] = [];
  for (let o = 0; o < bits.length; o += 160) parts.push(dec.decode(bits.subarray(o, o + 160)));
  const got = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    got.set(p, o);
    o += p.length;
  }
  const want = s16(ref);
  t.equal(got.length, want.length);
  let diff = 0;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) diff++;
  t.equal(diff, 0, 'every sample equals ffmpeg');
});

t.test('Opus: matches ffmpeg/libopus within 20 dB SNR at 16 kHz', async (t) => {
  const dir = t.testdir();
  const wav = speech(dir);
  const ogg = path.join(dir, 's.ogg');
  const ref = path.join(dir, 'opus.raw');
  run('ffmpeg', ['-loglevel', 'error', '-y', '-i', wav, '-ar', '48000', '-ac', '1', '-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-application', 'voip', ogg]);
  run('ffmpeg', ['-loglevel', 'error', '-y', '-c:a', 'libopus', '-i', ogg, '-ar', '16000', '-ac', '1', '-f', 's16le', ref]);
  const dec = await createDecoder({ name: 'OPUS', clockRate: 48000, channels: 2 });
  t.teardown(() => dec.free());
  t.equal(dec.sampleRate, 16000);
  const parts = oggPackets(readFileSync(ogg)).map((p) => dec.decode(p));
  t.ok(parts.every((p) => p.length === 320), 'each 20 ms packet gives 320 samples');
  const got = new Int16Array(parts.length * 320);
  parts.forEach((p, i) => got.set(p, i * 320));
  const want = s16(ref);
  // ffmpeg drops the Ogg pre-skip and resamples; RTP has no pre-skip: find the alignment.
  let best = -Infinity;
  let bestLag = 0;
  for (let lag = 0; lag <= 400; lag++) {
    const s = snrDb(want, got, lag, 1000, want.length - 1000);
    if (s > best) [best, bestLag] = [s, lag];
  }
  t.ok(best > 20, `SNR ${best.toFixed(1)} dB at lag ${bestLag}`);
  t.throws(() => dec.decode(new Uint8Array(0)), { code: 'EARSHOT_ERR_DECODE' });
});

t.test('L16: equals sox reading the same big-endian stream', async (t) => {
  const dir = t.testdir();
  const wav = speech(dir);
  const be = path.join(dir, 's.l16');
  const ref = path.join(dir, 'l16.raw');
  run('sox', [wav, '-r', '16000', '-c', '1', '-t', 's16', '-B', be]);
  run('sox', ['-t', 's16', '-B', '-r', '16000', '-c', '1', be, '-t', 's16', '-L', ref]);
  const dec = await createDecoder({ name: 'L16', clockRate: 16000 });
  t.same(Array.from(dec.decode(readFileSync(be))), Array.from(s16(ref)));
});

t.test('L16 network order, stereo downmix; unsupported codecs refused', async (t) => {
  const dec = await createDecoder({ name: 'L16', clockRate: 16000 });
  t.same(Array.from(dec.decode(Uint8Array.from([0x12, 0x34, 0xff, 0xfe]))), [0x1234, -2]);
  t.throws(() => dec.decode(Uint8Array.from([1, 2, 3])), { code: 'EARSHOT_ERR_DECODE' });
  const st = await createDecoder({ name: 'L16', clockRate: 44100, channels: 2 });
  t.same(Array.from(st.decode(Uint8Array.from([0, 100, 0, 200]))), [150]);
  t.notOk(isDecodable({ name: 'G729', clockRate: 8000 }));
  t.notOk(isDecodable({ name: 'PCMU', clockRate: 16000 }));
  await t.rejects(createDecoder({ name: 'G729', clockRate: 8000 }), { code: 'EARSHOT_ERR_CODEC' });
});

t.test('Opus: a corrupt packet is a DecodeError and prints nothing to stderr', async (t) => {
  const dec = await createDecoder({ name: 'opus', clockRate: 48000, channels: 2 });
  const printed: unknown[] = [];
  const log = console.error;
  console.error = (...a: unknown[]) => printed.push(a);
  try {
    // TOC code 3 (arbitrary frame count) with a frame count of 0: libopus rejects it as invalid.
    t.throws(() => dec.decode(Uint8Array.from([0x03, 0x00])), { code: 'EARSHOT_ERR_DECODE' });
    t.throws(() => dec.decode(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff])), { code: 'EARSHOT_ERR_DECODE' });
  } finally {
    console.error = log;
  }
  t.same(printed, [], 'nothing printed');
  t.equal(console.error, log, 'console.error restored');
  dec.free();
});
