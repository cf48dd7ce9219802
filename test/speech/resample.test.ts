import t from 'tap';
import { Resampler, supportedRate } from '../../src/speech/resample.js';

function tone(freq: number, rate: number, seconds: number, amp = 0.5): Int16Array {
  const n = Math.round(rate * seconds);
  return Int16Array.from({ length: n }, (_, i) => Math.round(amp * 32767 * Math.sin((2 * Math.PI * freq * i) / rate)));
}

/** Goertzel power of `freq` in x (16 kHz), as amplitude relative to full scale. */
function amplitude(x: Float32Array, freq: number, rate = 16000): number {
  const k = (2 * Math.PI * freq) / rate;
  const c = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s = v + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - c * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / x.length;
}

/** Resample in 20 ms chunks, as the pipeline does, and skip the filter's start-up. */
function resample(input: Int16Array, rate: number): Float32Array {
  const r = new Resampler(rate);
  const parts: Float32Array[] = [];
  const step = rate / 50;
  for (let off = 0; off < input.length; off += step) parts.push(r.push(input.subarray(off, off + step)));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.subarray(1600, out.length - 1600);
}

const db = (a: number) => 20 * Math.log10(a + 1e-12);

t.test('8k→16k keeps a 1 kHz tone and suppresses its 7 kHz image', async (t) => {
  const out = resample(tone(1000, 8000, 1), 8000);
  t.ok(Math.abs(db(amplitude(out, 1000)) - db(0.5)) < 0.5, `1 kHz kept at ${db(amplitude(out, 1000)).toFixed(2)} dBFS`);
  t.ok(db(amplitude(out, 7000)) < db(0.5) - 60, `7 kHz image at ${db(amplitude(out, 7000)).toFixed(1)} dBFS`);
});

t.test('48k→16k: 1 kHz passes, a 9 kHz tone does not alias to 7 kHz', async (t) => {
  const pass = resample(tone(1000, 48000, 1), 48000);
  t.ok(Math.abs(db(amplitude(pass, 1000)) - db(0.5)) < 0.5, '1 kHz kept');
  const alias = resample(tone(9000, 48000, 1), 48000);
  t.ok(db(amplitude(alias, 7000)) < db(0.5) - 60, `9 kHz → 7 kHz alias at ${db(amplitude(alias, 7000)).toFixed(1)} dBFS`);
  // A naive decimator (every 3rd sample) would alias it at full level: the test can tell.
  const naive = Float32Array.from(tone(9000, 48000, 1).filter((_, i) => i % 3 === 0), (v) => v / 32768);
  t.ok(db(amplitude(naive, 7000)) > db(0.5) - 1, 'naive decimation aliases (control)');
});

t.test('44.1k and 16k: lengths and passthrough', async (t) => {
  const out = resample(tone(440, 44100, 2), 44100);
  t.ok(Math.abs(out.length + 3200 - 32000) < 100, `~2 s at 16 kHz (${out.length + 3200})`);
  t.ok(Math.abs(db(amplitude(out, 440)) - db(0.5)) < 0.5, '440 Hz kept');
  const same = new Resampler(16000).push(Int16Array.from([16384, -16384]));
  t.same([...same], [0.5, -0.5]);
});

t.test('unsupported rates are refused with a code', async (t) => {
  for (const r of [0, 12347, 1e6, 8000.5]) t.notOk(supportedRate(r), `${r}`);
  t.throws(() => new Resampler(12347), { code: 'EARSHOT_ERR_SAMPLE_RATE' });
});
