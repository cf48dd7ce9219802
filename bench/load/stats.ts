// Figures for endurance runs: least-squares slope of samples over time (memory growth), and a
// small sampler of RSS, heap and event-loop delay.
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than 2 points. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export interface Sample {
  tMin: number;
  rssMb: number;
  heapMb: number;
}

/** Samples memory every `everyMs`; the event-loop delay histogram runs the whole time. */
export function startSampler(everyMs = 5000) {
  const t0 = performance.now();
  const samples: Sample[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const take = () => {
    const m = process.memoryUsage();
    samples.push({ tMin: (performance.now() - t0) / 60_000, rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
      loop.disable();
      // Skip the first quarter (model loading, JIT warm-up) for the growth figures.
      const steady = samples.filter((s) => s.tMin >= samples[samples.length - 1].tMin / 4);
      return {
        rssMbPerMin: slope(steady.map((s) => s.tMin), steady.map((s) => s.rssMb)),
        heapMbPerMin: slope(steady.map((s) => s.tMin), steady.map((s) => s.heapMb)),
        rssMaxMb: Math.max(...samples.map((s) => s.rssMb)),
        loopP99Ms: loop.percentile(99) / 1e6,
        loopMaxMs: loop.max / 1e6,
      };
    },
  };
}
