import t from 'tap';
import type { Prosody } from '../../../src/call/types.js';
import { HIGH_AROUSAL, LegBaseline, speakingRate } from '../../../src/analysis/emotion/index.js';

const calm: Prosody = { f0MeanHz: 120, f0StdHz: 15, rmsDb: -30, rmsStdDb: 3, voicedRatio: 0.6 };
const vary = (p: Prosody, i: number): Prosody => ({ ...p, f0MeanHz: p.f0MeanHz + (i % 3) * 4 - 4, rmsDb: p.rmsDb + (i % 2) - 0.5 });
const raised = (p: Prosody): Prosody => ({ ...p, f0MeanHz: p.f0MeanHz * 1.26, f0StdHz: p.f0StdHz * 1.26, rmsDb: p.rmsDb + 7 }); // sox pitch 400, +7 dB

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

t.test('the first utterances: two near-identical ones do not make the third look raised (prior spread)', async (t) => {
  const b = new LegBaseline();
  b.observe({ prosody: calm, rate: 2.5 });
  b.observe({ prosody: { ...calm, f0MeanHz: 121, rmsDb: -30.2 }, rate: 2.5 });
  // An ordinary next utterance: a little higher, louder and faster, as content makes it.
  const z = b.observe({ prosody: { ...calm, f0MeanHz: 130, f0StdHz: 20, rmsDb: -27.5 }, rate: 3.2 })!;
  t.ok(z < HIGH_AROUSAL, `ordinary variation stays below raised (${z}); the floors alone would give ~1.6`);
  const angry = b.observe({ prosody: raised(calm), rate: 3.2 })!;
  t.ok(angry >= HIGH_AROUSAL, `a raised voice is raised already at the fourth utterance (${angry})`);
});

t.test('a customer who stays angry stays raised against their calm voice', async (t) => {
  const b = new LegBaseline();
  for (let i = 0; i < 4; i++) b.observe({ prosody: vary(calm, i), rate: 2.6 });
  const zs = [0, 1, 2, 3, 4].map((i) => b.observe({ prosody: vary(raised(calm), i), rate: 3 })!);
  t.ok(zs.every((z) => z >= HIGH_AROUSAL), `five raised utterances in a row all raised (${zs.join(', ')})`);
  t.ok(zs[4] < zs[0], 'the baseline still follows, slowly');
  // A lasting change (a new handset gain, or the caller just talks like this now) is followed in the end.
  const later = Array.from({ length: 25 }, (_, i) => b.observe({ prosody: vary(raised(calm), i), rate: 3 })!);
  t.ok(later.at(-1)! < HIGH_AROUSAL, `after many utterances the new voice is the baseline (${later.at(-1)})`);
});

t.test('a call that is loud throughout is not raised', async (t) => {
  const b = new LegBaseline();
  const loud = { ...calm, rmsDb: -8, f0MeanHz: 150 };
  const zs = Array.from({ length: 8 }, (_, i) => b.observe({ prosody: vary(loud, i), rate: 2.8 }));
  t.ok(zs.every((z) => z === undefined || Math.abs(z) < HIGH_AROUSAL), `loud from the first word: its own baseline (${zs.join(', ')})`);
});

t.test('legs are judged apart: a loud agent does not make the customer calm, nor the reverse', async (t) => {
  const customer = new LegBaseline();
  const agent = new LegBaseline();
  for (let i = 0; i < 4; i++) {
    customer.observe({ prosody: vary(calm, i) });
    agent.observe({ prosody: vary({ ...calm, rmsDb: -12, f0MeanHz: 210 }, i) });
  }
  t.ok(customer.observe({ prosody: raised(calm) })! >= HIGH_AROUSAL);
  t.ok(Math.abs(agent.observe({ prosody: { ...calm, rmsDb: -12, f0MeanHz: 210 } })!) < 1);
});

t.test('without prosody, arousal stays unknown (rate alone is too weak)', async (t) => {
  const b = new LegBaseline();
  for (let i = 0; i < 4; i++) t.equal(b.observe({ rate: 3 }), undefined);
  t.equal(b.observe({}), undefined);
});

t.test('unvoiced segments do not feed pitch; silent segments do not feed level', async (t) => {
  const b = new LegBaseline();
  for (let i = 0; i < 3; i++) b.observe({ prosody: vary(calm, i) });
  const z = b.observe({ prosody: { ...calm, f0MeanHz: 400, voicedRatio: 0.05 } })!;
  t.ok(Math.abs(z) < 1, 'a pitch estimate from 5% voiced frames is ignored');
  const c = new LegBaseline();
  for (let i = 0; i < 3; i++) c.observe({ prosody: vary(calm, i) });
  c.observe({ prosody: { f0MeanHz: 0, f0StdHz: 0, rmsDb: -120, rmsStdDb: 0, voicedRatio: 0 } });
  t.ok(Math.abs(c.observe({ prosody: calm })!) < 1, 'a segment without active frames (-120 dB) is not learnt as a very quiet voice');
});

t.test('speaking rate', async (t) => {
  t.equal(speakingRate('one two three four', 0, 2000), 2);
  t.equal(speakingRate('我要投诉', 0, 1000), 4);
  t.equal(speakingRate('hi', 0, 200), undefined, 'too short to tell');
  t.equal(speakingRate('x y', 0, 1000, 5), 5, 'recogniser word count wins');
});
