import { randomBytes } from 'node:crypto';

/** Uniform in [0, 1): cryptographic, so the noise cannot be predicted and subtracted. */
export function secureRandom(): number {
  return randomBytes(6).readUIntBE(0, 6) / 2 ** 48;
}

/**
 * A count with Laplace(0, 1/epsilon) noise added, rounded and kept non-negative. epsilon 0 means no
 * noise. Sensitivity is taken as 1 per count: one call changes each count it appears in by one.
 */
export function noisyCount(trueCount: number, epsilon: number, random: () => number = secureRandom): number {
  if (!(epsilon > 0)) return trueCount;
  const u = random() - 0.5; // (-0.5, 0.5)
  const noise = -(1 / epsilon) * Math.sign(u) * Math.log(1 - 2 * Math.min(Math.abs(u), 0.4999999999));
  return Math.max(0, Math.round(trueCount + noise));
}

export interface Summary {
  mean: number;
  p50: number;
  p90: number;
}

/** Mean and percentiles (linear interpolation between closest ranks); undefined for no values. */
export function summarise(values: number[], decimals: number): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { mean: round(mean, decimals), p50: round(quantile(sorted, 0.5), decimals), p90: round(quantile(sorted, 0.9), decimals) };
}

export function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
