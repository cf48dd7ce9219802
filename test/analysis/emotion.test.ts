import t from 'tap';
import type { Prosody } from '../../src/call/types.js';
import { LegBaseline, Trajectory, fuse, speakingRate } from '../../src/analysis/emotion/index.js';

const calm: Prosody = { f0MeanHz: 120, f0StdHz: 15, rmsDb: -30, rmsStdDb: 3, voicedRatio: 0.6 };
const vary = (p: Prosody, i: number): Prosody => ({ ...p, f0MeanHz: p.f0MeanHz + (i % 3) * 4 - 4, rmsDb: p.rmsDb + (i % 2) - 0.5 });

t.test('arousal is relative to the leg baseline', async (t) => {
  const b = new LegBaseline();
  t.equal(b.observe({ prosody: calm, rate: 2.5 }), undefined, 'no baseline yet');
  for (let i = 0; i < 5; i++) b.observe({ prosody: vary(calm, i), rate: 2.5 + (i % 2) * 0.2 });
  const same = b.observe({ prosody: calm, rate: 2.6 })!;
  t.ok(Math.abs(same) < 1, `calm utterance ≈ baseline (${same})`);
  const loud = b.observe({ prosody: { ...calm, f0MeanHz: 170, f0StdHz: 35, rmsDb: -20 }, rate: 3.6 })!;
  t.ok(loud >= 2, `raised pitch and level give high arousal (${loud})`);
  // A speaker whose normal voice is high is not "aroused" at that pitch.
  const high = new LegBaseline();
  for (let i = 0; i < 5; i++) high.observe({ prosody: vary({ ...calm, f0MeanHz: 220, rmsDb: -20 }, i) });
  t.ok(Math.abs(high.observe({ prosody: { ...calm, f0MeanHz: 220, rmsDb: -20 } })!) < 1);
});

t.test('without prosody, arousal stays unknown (rate alone is too weak)', async (t) => {
  const b = new LegBaseline();
  for (let i = 0; i < 4; i++) t.equal(b.observe({ rate: 3 }), undefined);
  t.equal(b.observe({}), undefined);
});

t.test('unvoiced segments do not feed pitch', async (t) => {
  const b = new LegBaseline();
  for (let i = 0; i < 3; i++) b.observe({ prosody: vary(calm, i) });
  const z = b.observe({ prosody: { ...calm, f0MeanHz: 400, voicedRatio: 0.05 } })!;
  t.ok(Math.abs(z) < 1, 'a pitch estimate from 5% voiced frames is ignored');
});

t.test('speaking rate', async (t) => {
  t.equal(speakingRate('one two three four', 0, 2000), 2);
  t.equal(speakingRate('我要投诉', 0, 1000), 4);
  t.equal(speakingRate('hi', 0, 200), undefined, 'too short to tell');
  t.equal(speakingRate('x y', 0, 1000, 5), 5, 'recogniser word count wins');
});

t.test('fusion of sentiment and arousal', async (t) => {
  t.equal(fuse(-0.6, 2).emotion, 'angry');
  t.equal(fuse(-0.6, -0.5).emotion, 'frustrated');
  t.equal(fuse(-0.6, undefined).emotion, 'frustrated', 'no voice: negative words are frustration');
  t.equal(fuse(0.6, 0.5).emotion, 'satisfied');
  t.equal(fuse(0.05, 0).emotion, 'neutral');
  t.equal(fuse(0, 3).emotion, 'angry', 'shouting with neutral words');
  t.ok(fuse(-0.9, 3).confidence > fuse(-0.3, 1.1).confidence, 'stronger evidence, more confidence');
  t.ok(fuse(-0.6, 0).confidence > fuse(-0.6, undefined).confidence, 'voice evidence adds confidence');
  for (const [s, a] of [[-1, 4], [1, -4], [0, undefined], [-0.25, 1]] as const) {
    const c = fuse(s, a).confidence;
    t.ok(c >= 0 && c <= 1);
  }
});

t.test('trajectory: start, end, worst moment, swings', async (t) => {
  const tr = new Trajectory();
  const seq: [string, 'angry' | 'frustrated' | 'neutral' | 'satisfied', number][] = [
    ['customer', 'frustrated', -0.4], ['agent', 'neutral', 0], ['customer', 'angry', -0.8], ['customer', 'frustrated', -0.5],
    ['customer', 'neutral', 0], ['customer', 'satisfied', 0.5], ['customer', 'satisfied', 0.7], ['customer', 'frustrated', -0.3], ['customer', 'satisfied', 0.6],
  ];
  seq.forEach(([role, emotion, sentiment], i) => tr.add({ legId: role, role: role as 'customer', seq: i, startMs: i * 1000, emotion, sentiment }));
  const s = tr.summary();
  t.equal(s.subject, 'customer');
  t.equal(s.start, 'frustrated');
  t.equal(s.end, 'satisfied');
  t.equal(s.worst?.seq, 2);
  t.equal(s.swings, 3, 'neg → pos → neg → pos');
  t.equal(s.counts.angry, 1);
  t.equal(s.points.length, 8);
  t.same(new Trajectory().summary().counts, { angry: 0, frustrated: 0, neutral: 0, satisfied: 0 });
});
