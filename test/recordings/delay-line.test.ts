import t from 'tap';
import { DelayLine } from '../../src/recordings/delay-line.js';

const RATE = 8000;
/** 1 s of a constant non-zero level, so muted samples (0) stand out. */
const second = (v = 1000) => new Int16Array(RATE).fill(v);

function rig(holdSec = 30) {
  const out: Int16Array[] = [];
  const line = new DelayLine(holdSec, (r) => out.push(r.samples));
  const all = () => {
    const n = out.reduce((s, x) => s + x.length, 0);
    const a = new Int16Array(n);
    let o = 0;
    for (const x of out) {
      a.set(x, o);
      o += x.length;
    }
    return a;
  };
  return { line, out, all };
}
const zeros = (a: Int16Array, from: number, to: number) => a.subarray(from, to).every((x) => x === 0);
const none = (a: Int16Array, from: number, to: number) => a.subarray(from, to).every((x) => x !== 0);

t.test('audio waits for recognition and for the analysis of every final covering it', async (t) => {
  const { line, out, all } = rig();
  for (let i = 0; i < 4; i++) line.audio(second(), RATE, i * 1000);
  t.equal(out.length, 0, 'nothing leaves before the recogniser has been through it');
  // Recognised to 3 s; a final covers 1.2–2.5 s and is still being analysed.
  line.final(0, 1200, 2500);
  line.progress(3);
  t.equal(out.length, 1, 'only the audio before the pending utterance');
  line.analysed(0, [{ startMs: 1500, endMs: 2000 }]);
  t.equal(out.length, 3, 'released once analysis is known');
  const a = all();
  t.ok(none(a, 0, 12000) && none(a, 16000, 24000), 'the rest untouched');
  t.ok(zeros(a, 12000, 16000), 'the redacted span is silence');
  t.same(line.muted, [{ startMs: 1500, endMs: 2000, reason: 'redacted' }]);
  line.progress(Number.MAX_VALUE);
  t.equal(out.length, 4);
  t.equal(line.offsetMs, 0);
});

t.test('analysis before its final (listener order) still settles it; DTMF spans muted', async (t) => {
  const { line, all } = rig();
  line.audio(second(), RATE, 0);
  line.audio(second(), RATE, 1000);
  line.analysed(3, []);
  line.final(3, 200, 800);
  line.dtmf(1100, 1300);
  line.progress(2);
  const a = all();
  t.equal(a.length, 16000, 'both released');
  t.ok(zeros(a, 8800, 10400) && none(a, 0, 8800) && none(a, 10400, 16000));
  t.same(line.muted, [{ startMs: 1100, endMs: 1300, reason: 'dtmf' }]);
});

t.test('audio unsettled past the bound is released muted, never in the clear', async (t) => {
  const { line, out, all } = rig(3);
  // The recogniser stalls at 1 s; a final at 0.5–0.9 s never gets its analysis.
  line.final(0, 500, 900);
  line.progress(1);
  for (let i = 0; i < 6; i++) line.audio(second(), RATE, i * 1000);
  t.equal(out.length, 3, 'held at most holdSeconds of input');
  const a = all();
  t.ok(none(a, 0, 4000) && zeros(a, 4000, 7200) && none(a, 7200, 8000), 'the unanalysed utterance is muted');
  t.ok(zeros(a, 8000, 24000), 'unrecognised audio is muted');
  line.flush();
  t.ok(zeros(all(), 24000, 48000), 'flush: what never settled is muted too');
  t.same(line.muted, [{ startMs: 500, endMs: 900, reason: 'unanalysed' }, { startMs: 1000, endMs: 6000, reason: 'unanalysed' }], 'the record says what was muted and why');
});

t.test('a recogniser restart mutes the audio it lost and counts progress anew', async (t) => {
  const { line, all } = rig();
  line.audio(second(), RATE, 0);
  line.audio(second(), RATE, 1000);
  line.progress(1);
  line.restarted(); // 1–2 s was in flight
  line.audio(second(), RATE, 2000);
  line.progress(1); // the new worker has done its first second: input 2–3 s
  const a = all();
  t.equal(a.length, 24000);
  t.ok(none(a, 0, 8000) && zeros(a, 8000, 16000) && none(a, 16000, 24000));
});

t.test('a timestamp gap is filled with silence so seeks line up; offset is the first sample', async (t) => {
  const { line, all } = rig();
  line.audio(second(), RATE, 5000);
  line.audio(second(), RATE, 7000); // 1 s gap (hold, lost packets)
  line.progress(Number.MAX_VALUE);
  const a = all();
  t.equal(line.offsetMs, 5000);
  t.equal(a.length, 24000);
  t.ok(zeros(a, 8000, 16000) && none(a, 16000, 24000));
});
