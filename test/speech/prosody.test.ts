import t from 'tap';
import { computeProsody } from '../../src/speech/prosody.js';
import { LevelMeter } from '../../src/speech/levels.js';

/** A glottal-pulse-like buzz at f0 (harmonics decaying), 16 kHz. */
function buzz(f0: number, seconds: number, amp = 0.3, vibrato = 0): Float32Array {
  const n = 16000 * seconds;
  const x = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const f = f0 * (1 + vibrato * Math.sin((2 * Math.PI * 3 * i) / 16000));
    phase += (2 * Math.PI * f) / 16000;
    let v = 0;
    for (let h = 1; h <= 8; h++) v += Math.sin(h * phase) / h;
    x[i] = (amp * v) / 2;
  }
  return x;
}

t.test('F0, level and voicing of synthetic voices', async (t) => {
  const low = computeProsody(buzz(110, 1));
  t.ok(Math.abs(low.f0MeanHz - 110) < 3, `110 Hz → ${low.f0MeanHz}`);
  t.ok(low.f0StdHz < 3, 'steady pitch has small spread');
  t.ok(low.voicedRatio > 0.9, 'voiced');
  const high = computeProsody(buzz(220, 1, 0.3, 0.1));
  t.ok(Math.abs(high.f0MeanHz - 220) < 8, `220 Hz → ${high.f0MeanHz}`);
  t.ok(high.f0StdHz > 5, `vibrato widens the spread (${high.f0StdHz})`);
  const quiet = computeProsody(buzz(110, 1, 0.03));
  t.ok(low.rmsDb - quiet.rmsDb > 18 && low.rmsDb - quiet.rmsDb < 22, 'level follows amplitude (20 dB)');
  const noise = computeProsody(Float32Array.from({ length: 16000 }, () => (Math.random() - 0.5) * 0.3));
  t.ok(noise.voicedRatio < 0.2, `noise is unvoiced (${noise.voicedRatio})`);
  t.same(computeProsody(new Float32Array(16000)), { f0MeanHz: 0, f0StdHz: 0, rmsDb: -120, rmsStdDb: 0, voicedRatio: 0 }, 'silence');
  t.same(computeProsody(new Float32Array(10)).voicedRatio, 0, 'too short');
});

t.test('level meter: active level and clipping', async (t) => {
  const m = new LevelMeter();
  m.push(new Int16Array(8000)); // silence is left out of the level
  m.push(Int16Array.from({ length: 8000 }, (_, i) => (i % 2 ? 16384 : -16384)));
  m.push(Int16Array.from({ length: 100 }, () => 32767));
  const s = m.snapshot();
  t.ok(Math.abs(s.levelDb - -6) < 0.3, `square wave at half scale ≈ -6 dBFS (${s.levelDb})`);
  t.ok(Math.abs(s.clippedRatio - 100 / 16100) < 1e-6, 'clipped share');
  t.same(new LevelMeter().snapshot(), { levelDb: -120, clippedRatio: 0 });
});
