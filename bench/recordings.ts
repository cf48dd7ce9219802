// Cost of storing audio (privacy.storeAudio): CPU seconds and disk bytes per call hour for one
// leg's path through the recordings stage — delay line, Opus encode (16 kbit/s CBR), AES-256-GCM
// sealing — on the bundled demo call (16 kHz) and the same audio at 8 kHz (G.711 legs), plus the
// playback side (decrypt + decode to WAV). Baseline in the same run: sealing the raw PCM without
// encoding, the least any encrypted store must do. One thread, the work the encoder thread does.
//   npm run build && node dist/bench/recordings.js [rounds]
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { SealedReader, SealedWriter } from '../src/recordings/container.js';
import { DelayLine } from '../src/recordings/delay-line.js';
import { LegEncoder } from '../src/recordings/opus.js';
import { renderWav } from '../src/recordings/playback.js';
import { FRAMES_PER_CHUNK } from '../src/recordings/protocol.js';
import { parseWav } from '../src/speech/wav.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const root = new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url);
const demo = parseWav(readFileSync(fileURLToPath(new URL('assets/demo/demo-call.wav', root))));
const left = new Int16Array(demo.samples.length / demo.channels);
for (let i = 0; i < left.length; i++) left[i] = demo.samples[i * demo.channels];
const to8k = new Int16Array(Math.floor(left.length / 2));
for (let i = 0; i < to8k.length; i++) to8k[i] = (left[2 * i] + left[2 * i + 1]) >> 1;

const key = randomBytes(32);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function store(pcm: Int16Array, rate: number, encode: boolean): { cpuS: number; bytes: number; audioS: number; file: Buffer } {
  const parts: Buffer[] = [];
  const frame = rate / 50;
  const t0 = cpu();
  const sealed = new SealedWriter((b) => parts.push(b), 'k-bench', key, { sampleRate: rate, frameSamples: encode ? frame : frame, framesPerChunk: FRAMES_PER_CHUNK });
  const enc = encode ? new LegEncoder(rate, 16000, (p) => sealed.add(p)) : undefined;
  const line = new DelayLine(60, (r) => {
    if (enc) enc.push(r.samples);
    else for (let i = 0; i < r.samples.length; i += frame) sealed.add(Buffer.from(r.samples.buffer, r.samples.byteOffset + i * 2, Math.min(frame, r.samples.length - i) * 2));
  });
  for (let i = 0; i < pcm.length; i += frame) {
    line.audio(pcm.subarray(i, i + frame), rate, (i * 1000) / rate);
    line.progress((i + frame) / rate);
  }
  line.flush();
  enc?.close();
  sealed.close();
  const file = Buffer.concat(parts);
  return { cpuS: cpu() - t0, bytes: file.length, audioS: pcm.length / rate, file };
}

const perHour = (x: number, audioS: number) => (x * 3600) / audioS;
const rows: string[] = [];
for (const [name, pcm, rate] of [['16 kHz leg', left, 16000], ['8 kHz leg', to8k, 8000]] as const) {
  const opus: { cpuS: number; bytes: number }[] = [];
  const raw: { cpuS: number; bytes: number }[] = [];
  const play: number[] = [];
  let audioS = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const o = store(pcm, rate, true);
    const b = store(pcm, rate, false);
    audioS = o.audioS;
    opus.push(o);
    raw.push(b);
    const path = join(tmpdir(), `earshot-bench-${process.pid}.esrc`);
    writeFileSync(path, o.file);
    const t0 = cpu();
    const reader = new SealedReader(path, () => key);
    renderWav(reader);
    reader.close();
    play.push(cpu() - t0);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const oc = med(opus.map((x) => x.cpuS));
  const rc = med(raw.map((x) => x.cpuS));
  rows.push(`| ${name}: Opus 16 kbit/s + seal (Earshot) | ${perHour(oc, audioS).toFixed(1)} | ${(perHour(opus[0].bytes, audioS) / 1e6).toFixed(1)} | ${(perHour(med(play), audioS)).toFixed(1)} |`);
  rows.push(`| ${name}: seal raw PCM (baseline) | ${perHour(rc, audioS).toFixed(1)} | ${(perHour(raw[0].bytes, audioS) / 1e6).toFixed(1)} | – |`);
}
console.log(`recordings bench: ${(left.length / 16000).toFixed(0)} s of demo call audio, ${ROUNDS} rounds, medians, per call hour and leg`);
console.log('| path | CPU s per call hour | MB per call hour | playback CPU s per hour |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
