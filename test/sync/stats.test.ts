import t from 'tap';
import { backoffMs } from '../../src/sync/outbox.js';
import { noisyCount, quantile, secureRandom, summarise } from '../../src/sync/stats.js';
import { seeded } from './helpers.js';

t.test('Laplace noise is centred on the true count with scale 1/epsilon', async (t) => {
  for (const eps of [0.5, 2]) {
    const rnd = seeded(42);
    const n = 20_000;
    let sum = 0;
    let absDev = 0;
    for (let i = 0; i < n; i++) {
      const v = noisyCount(1000, eps, rnd);
      sum += v;
      absDev += Math.abs(v - 1000);
    }
    t.ok(Math.abs(sum / n - 1000) < 0.1, `eps ${eps}: mean ${sum / n}`);
    // E|Laplace(b)| = b = 1/eps; rounding to whole counts moves it a little at small scales.
    t.ok(Math.abs(absDev / n - 1 / eps) < 0.1 + 0.25, `eps ${eps}: mean |noise| ${absDev / n}`);
  }
  t.equal(noisyCount(7, 0, () => 0.99), 7, 'epsilon 0: exact');
  t.equal(noisyCount(0, 0.01, () => 0), 0, 'never negative');
  for (let i = 0; i < 1000; i++) {
    const u = secureRandom();
    if (!(u >= 0 && u < 1)) t.fail(`secureRandom out of range: ${u}`);
  }
});

t.test('percentiles interpolate between closest ranks', async (t) => {
  t.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  t.equal(quantile([10], 0.9), 10);
  t.same(summarise([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 2), { mean: 5.5, p50: 5.5, p90: 9.1 });
  t.equal(summarise([], 0), undefined);
});

t.test('retry backoff doubles from 10 s up to an hour, with ±25% jitter', async (t) => {
  const mid = () => 0.5;
  t.same([1, 2, 3, 4].map((a) => backoffMs(a, mid)), [10_000, 20_000, 40_000, 80_000]);
  t.equal(backoffMs(30, mid), 3_600_000, 'capped: days offline retry hourly');
  t.equal(backoffMs(1, () => 0), 7_500);
  t.equal(backoffMs(1, () => 0.999999), 12_500);
});
