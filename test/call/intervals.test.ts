import fc from 'fast-check';
import t from 'tap';
import { gaps, insert, intersect, interruptions, total, union } from '../../src/call/intervals.js';

const span = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 2_000 })).map(([s, d]) => ({ start: s, end: s + d }));

t.test('union, gaps and intersection agree with a millisecond-by-millisecond count', async (_t) => {
  fc.assert(
    fc.property(fc.array(span, { maxLength: 12 }), fc.array(span, { maxLength: 12 }), (a, b) => {
      const covered = (xs: { start: number; end: number }[], ms: number) => xs.some((x) => x.start <= ms && ms < x.end);
      let inA = 0;
      let both = 0;
      let none = 0;
      for (let ms = 0; ms < 12_000; ms++) {
        const ia = covered(a, ms);
        const ib = covered(b, ms);
        if (ia) inA++;
        if (ia && ib) both++;
        if (!ia && !ib) none++;
      }
      const ua = union(a);
      const ub = union(b);
      return total(ua) === inA && total(intersect(ua, ub)) === both && total(gaps(union([...a, ...b]), 0, 12_000)) === none;
    }),
    { numRuns: 200 },
  );
});

t.test('interruptions: taking the floor counts, backchannels and late yields do not', async (t) => {
  const a = [{ start: 0, end: 10_000 }];
  t.equal(interruptions(a, [{ start: 9_000, end: 12_000 }], 1500), 1, 'a stops 1 s after b starts, b goes on');
  t.equal(interruptions(a, [{ start: 5_000, end: 5_500 }], 1500), 0, 'backchannel inside a turn');
  t.equal(interruptions(a, [{ start: 8_000, end: 12_000 }], 1500), 0, 'a went on 2 s: overtalk, not an interruption');
  t.equal(interruptions(a, [{ start: 0, end: 12_000 }], 1500), 0, 'starting together is not interrupting');
  t.equal(interruptions(a, [{ start: 10_000, end: 12_000 }], 1500), 0, 'a clean turn change');
});

t.test('insert keeps a sorted union equal to union() of everything inserted', async (_t) => {
  fc.assert(
    fc.property(fc.array(span, { maxLength: 30 }), (xs) => {
      const list: { start: number; end: number }[] = [];
      for (const x of xs) insert(list, x);
      return JSON.stringify(list) === JSON.stringify(union(xs));
    }),
    { numRuns: 300 },
  );
});
