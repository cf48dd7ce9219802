// Prosody of one final utterance for voice emotion: pitch (F0) by normalised autocorrelation on
// voiced frames, frame energy, and the voiced share. Runs once per final segment in the worker.
import type { Prosody } from '../call/types.js';

const RATE = 8000; // analyse at 8 kHz: pitch lives well below 4 kHz and it quarters the work
const FRAME = 320; // 40 ms window: two periods of a 50 Hz voice
const HOP = 160; // 20 ms
const MIN_F0 = 60;
const MAX_F0 = 400;
const VOICED_CORR = 0.55; // normalised autocorrelation peak needed to call a frame voiced
const ACTIVE_DB = -50; // frames quieter than this are pauses, not speech

export function computeProsody(pcm16k: Float32Array): Prosody {
  // 2:1 decimation with a short half-band average; aliasing above 4 kHz does not move F0.
  const n = Math.floor(pcm16k.length / 2);
  const x = new Float32Array(n);
  for (let j = 0; j < n; j++) x[j] = 0.5 * (pcm16k[2 * j] + pcm16k[2 * j + 1]);

  const minLag = Math.floor(RATE / MAX_F0);
  const maxLag = Math.ceil(RATE / MIN_F0);
  const dbs: number[] = [];
  const f0s: number[] = [];
  for (let start = 0; start + FRAME <= n; start += HOP) {
    const len = FRAME;
    let e = 0;
    let mean = 0;
    for (let j = 0; j < len; j++) mean += x[start + j];
    mean /= len;
    for (let j = 0; j < len; j++) e += (x[start + j] - mean) ** 2;
    const db = 10 * Math.log10(e / len + 1e-12);
    if (db < ACTIVE_DB) continue;
    dbs.push(db);
    if (start + FRAME + maxLag + 1 > n) continue;
    const f0 = pitch(x, start, mean, minLag, maxLag);
    if (f0 > 0) f0s.push(f0);
  }
  const [rmsDb, rmsStdDb] = meanStd(dbs);
  const [f0MeanHz, f0StdHz] = meanStd(f0s);
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    f0MeanHz: r(f0MeanHz),
    f0StdHz: r(f0StdHz),
    rmsDb: dbs.length ? r(rmsDb) : -120,
    rmsStdDb: r(rmsStdDb),
    voicedRatio: dbs.length ? Math.round((f0s.length / dbs.length) * 1000) / 1000 : 0,
  };
}

/** F0 in Hz of the frame at `start`, or 0 when unvoiced. */
function pitch(x: Float32Array, start: number, mean: number, minLag: number, maxLag: number): number {
  let e0 = 0;
  for (let j = 0; j < FRAME; j++) e0 += (x[start + j] - mean) ** 2;
  let best = 0;
  let bestLag = 0;
  const corr = new Float32Array(maxLag + 2);
  for (let lag = minLag; lag <= maxLag + 1; lag++) {
    let c = 0;
    let e1 = 0;
    for (let j = 0; j < FRAME; j++) {
      const b = x[start + j + lag] - mean;
      c += (x[start + j] - mean) * b;
      e1 += b * b;
    }
    const v = c / Math.sqrt(e0 * e1 + 1e-12);
    corr[lag] = v;
    if (lag <= maxLag && v > best) {
      best = v;
      bestLag = lag;
    }
  }
  if (best < VOICED_CORR || bestLag <= minLag) return 0;
  // Parabolic interpolation around the peak for sub-sample lag.
  const a = corr[bestLag - 1];
  const b = corr[bestLag];
  const c = corr[bestLag + 1];
  const d = a - 2 * b + c;
  const shift = d !== 0 ? (0.5 * (a - c)) / d : 0;
  return RATE / (bestLag + Math.max(-0.5, Math.min(0.5, shift)));
}

function meanStd(v: number[]): [number, number] {
  if (!v.length) return [0, 0];
  const m = v.reduce((s, a) => s + a, 0) / v.length;
  const sd = Math.sqrt(v.reduce((s, a) => s + (a - m) ** 2, 0) / v.length);
  return [m, sd];
}
