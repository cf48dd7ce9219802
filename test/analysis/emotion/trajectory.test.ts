import t from 'tap';
import { Trajectory, endLabel, endsNegative, startLabel } from '../../../src/analysis/emotion/index.js';
import type { EmotionLabel, Role } from '../../../src/call/types.js';

function build(seq: [Role, EmotionLabel, number][]): Trajectory {
  const tr = new Trajectory();
  seq.forEach(([role, emotion, sentiment], i) => tr.add({ legId: role, role, seq: i, startMs: i * 1000, emotion, sentiment }));
  return tr;
}

t.test('start, end, worst moment, swings', async (t) => {
  const s = build([
    ['customer', 'frustrated', -0.4], ['agent', 'neutral', 0], ['customer', 'angry', -0.8], ['customer', 'frustrated', -0.5],
    ['customer', 'neutral', 0], ['customer', 'satisfied', 0.5], ['customer', 'satisfied', 0.7], ['customer', 'frustrated', -0.3], ['customer', 'satisfied', 0.6],
  ]).summary();
  t.equal(s.subject, 'customer');
  t.equal(s.start, 'frustrated');
  t.equal(s.end, 'satisfied');
  t.equal(s.endsNegative, false);
  t.equal(s.worst?.seq, 2);
  t.equal(s.swings, 3, 'neg → pos → neg → pos');
  t.equal(s.counts.angry, 1);
  t.equal(s.points.length, 8);
  t.same(new Trajectory().summary().counts, { angry: 0, frustrated: 0, neutral: 0, satisfied: 0 });
  t.equal(new Trajectory().summary().endsNegative, false);
});

t.test('the end is the last two utterances, as the labelled conversations are', async (t) => {
  // Angry early, calmed down, ends on two flat answers: ends neutral, not negative.
  const calmed = build([['customer', 'angry', -0.8], ['customer', 'satisfied', 0.4], ['customer', 'neutral', 0], ['customer', 'neutral', 0]]).summary();
  t.equal(calmed.end, 'neutral');
  t.equal(calmed.endsNegative, false);
  // One flat "okay" after the demand for a supervisor does not hide it.
  const flat = build([['customer', 'neutral', 0], ['customer', 'angry', -0.5], ['customer', 'neutral', 0], ['agent', 'neutral', 0]]).summary();
  t.equal(flat.end, 'angry');
  t.equal(flat.endsNegative, true);
  // The first utterance sets the start; a neutral hello is looked past once.
  t.equal(build([['customer', 'neutral', 0], ['customer', 'frustrated', -0.4], ['customer', 'angry', -0.9]]).summary().start, 'frustrated');
  t.equal(build([['customer', 'neutral', 0], ['customer', 'neutral', 0], ['customer', 'angry', -0.9]]).summary().start, 'neutral');
  t.equal(startLabel([]), undefined);
  t.equal(endLabel(['frustrated', 'neutral']), 'frustrated');
  t.equal(endLabel(['frustrated', 'neutral', 'neutral']), 'neutral');
  t.ok(endsNegative('angry') && endsNegative('frustrated') && !endsNegative('neutral') && !endsNegative(undefined));
});

t.test('worst: the first most severe moment', async (t) => {
  const s = build([['customer', 'frustrated', -0.9], ['customer', 'angry', -0.3], ['customer', 'angry', -0.9]]).summary();
  t.equal(s.worst?.seq, 1, 'anger beats a lower score; the first of equal labels');
});

t.test('a call longer than the points kept still ends where it ends', async (t) => {
  const tr = new Trajectory();
  for (let i = 0; i < 1200; i++) tr.add({ legId: 'c', role: 'customer', seq: i, startMs: i, emotion: i >= 1198 ? 'angry' : 'neutral', sentiment: 0 });
  const s = tr.summary();
  t.equal(s.points.length, 1000);
  t.equal(s.end, 'angry');
  t.equal(s.endsNegative, true);
});

t.test('without a customer leg, all roles', async (t) => {
  const s = build([['mixed', 'neutral', 0], ['mixed', 'frustrated', -0.5]]).summary();
  t.equal(s.subject, 'all');
  t.equal(s.end, 'frustrated');
});
