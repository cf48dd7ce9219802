// L2-regularised logistic regression, hand-written (a few hundred rows of 400 features need no
// library): multinomial (softmax) for K >= 3 classes, one sigmoid output for K = 2. Trained by
// full-batch Adam on standardised features; the weights returned are in the raw feature space
// (standardisation folded in), so applying a model is one dot product per class.

export interface Linear {
  /** One row per output: K rows for softmax, one row (the positive class) for binary. */
  W: number[][];
  b: number[];
}

export interface TrainOptions {
  /** L2 penalty on the (standardised) weights, per example: loss = mean NLL + l2/2 * |w|^2. */
  l2: number;
  iters?: number;
  lr?: number;
}

/** Probabilities per class: K values for softmax, [P(positive)] for binary. */
export function predict(m: Linear, x: ArrayLike<number>): number[] {
  const z = m.W.map((w, k) => {
    let s = m.b[k];
    for (let j = 0; j < w.length; j++) s += w[j] * x[j];
    return s;
  });
  if (z.length === 1) return [1 / (1 + Math.exp(-z[0]))];
  const mx = Math.max(...z);
  const e = z.map((v) => Math.exp(v - mx));
  const sum = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / sum);
}

/**
 * Trains on rows X (all the same length) with labels y in 0..K-1 (K = 2: y is 1 for positive).
 * Deterministic: zero start, no sampling.
 */
export function train(X: ArrayLike<number>[], y: number[], K: number, o: TrainOptions): Linear {
  const n = X.length;
  if (!n || y.length !== n) throw new Error('train: need as many labels as rows, at least one');
  const d = X[0].length;
  const outs = K === 2 ? 1 : K;
  // Standardise: mean 0, sd 1 per feature (constant features left at scale 1).
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const x of X) for (let j = 0; j < d; j++) mu[j] += x[j] / n;
  for (const x of X) for (let j = 0; j < d; j++) sd[j] += (x[j] - mu[j]) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = sd[j] > 1e-12 ? Math.sqrt(sd[j]) : 1;
  const Z = X.map((x) => Float64Array.from({ length: d }, (_, j) => (x[j] - mu[j]) / sd[j]));
  const W = Array.from({ length: outs }, () => new Float64Array(d + 1)); // last = bias
  const m1 = W.map(() => new Float64Array(d + 1));
  const m2 = W.map(() => new Float64Array(d + 1));
  const G = W.map(() => new Float64Array(d + 1));
  const iters = o.iters ?? 100;
  const lr = o.lr ?? 0.1;
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const z = new Float64Array(outs);
  for (let it = 1; it <= iters; it++) {
    for (const g of G) g.fill(0);
    for (let i = 0; i < n; i++) {
      const x = Z[i];
      for (let k = 0; k < outs; k++) {
        const w = W[k];
        let s = w[d];
        for (let j = 0; j < d; j++) s += w[j] * x[j];
        z[k] = s;
      }
      // Residuals p - onehot(y): the gradient of the NLL in the logits.
      if (outs === 1) z[0] = 1 / (1 + Math.exp(-z[0])) - (y[i] === 1 ? 1 : 0);
      else {
        let mx = -Infinity;
        for (let k = 0; k < outs; k++) mx = Math.max(mx, z[k]);
        let sum = 0;
        for (let k = 0; k < outs; k++) sum += z[k] = Math.exp(z[k] - mx);
        for (let k = 0; k < outs; k++) z[k] = z[k] / sum - (y[i] === k ? 1 : 0);
      }
      for (let k = 0; k < outs; k++) {
        const r = z[k] / n;
        if (r === 0) continue;
        const g = G[k];
        for (let j = 0; j < d; j++) g[j] += r * x[j];
        g[d] += r;
      }
    }
    for (let k = 0; k < outs; k++) {
      const w = W[k];
      const g = G[k];
      for (let j = 0; j <= d; j++) {
        const gj = g[j] + (j < d ? o.l2 * w[j] : 0);
        m1[k][j] = b1 * m1[k][j] + (1 - b1) * gj;
        m2[k][j] = b2 * m2[k][j] + (1 - b2) * gj * gj;
        const mh = m1[k][j] / (1 - b1 ** it);
        const vh = m2[k][j] / (1 - b2 ** it);
        w[j] -= (lr * mh) / (Math.sqrt(vh) + eps);
      }
    }
  }
  // Fold the standardisation in: w·(x-mu)/sd + b = (w/sd)·x + (b - Σ w mu/sd).
  const out: Linear = { W: [], b: [] };
  for (const w of W) {
    const row: number[] = [];
    let b = w[d];
    for (let j = 0; j < d; j++) {
      row.push(w[j] / sd[j]);
      b -= (w[j] * mu[j]) / sd[j];
    }
    out.W.push(row);
    out.b.push(b);
  }
  return out;
}
