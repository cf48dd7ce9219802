// Metrics for the understanding bench (pure, no I/O): accuracy, confusion matrix, per-class and
// macro precision/recall/F1, per-category detection P/R over multi-label sets, percentiles.

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  /** Gold items of the class (support). */
  n: number;
  tp: number;
  fp: number;
  fn: number;
}

/** 0/0 is reported as 0 so an empty class never looks perfect; `n` tells the reader why. */
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

function prfOf(tp: number, fp: number, fn: number): Prf {
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, n: tp + fn, tp, fp, fn };
}

function sameLength(gold: readonly unknown[], pred: readonly unknown[]): void {
  if (gold.length !== pred.length) throw new Error(`gold has ${gold.length} items, predictions ${pred.length}`);
}

export function accuracy<T>(gold: readonly T[], pred: readonly T[]): number {
  sameLength(gold, pred);
  let ok = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] === pred[i]) ok++;
  return ratio(ok, gold.length);
}

/** rows = gold label, columns = predicted label, in the order of `labels`; unknown labels are an error. */
export function confusion<T>(gold: readonly T[], pred: readonly T[], labels: readonly T[]): number[][] {
  sameLength(gold, pred);
  const m = labels.map(() => labels.map(() => 0));
  for (let i = 0; i < gold.length; i++) {
    const g = labels.indexOf(gold[i]);
    const p = labels.indexOf(pred[i]);
    if (g < 0 || p < 0) throw new Error(`label not in ${JSON.stringify(labels)}: ${JSON.stringify(g < 0 ? gold[i] : pred[i])}`);
    m[g][p]++;
  }
  return m;
}

/** Single-label classification: P/R/F1 per class and the unweighted (macro) mean F1 over classes present in gold. */
export function perClass<T extends string>(gold: readonly T[], pred: readonly T[], labels: readonly T[]): { classes: Record<T, Prf>; macroF1: number } {
  const m = confusion(gold, pred, labels);
  const classes = {} as Record<T, Prf>;
  let sum = 0;
  let present = 0;
  labels.forEach((l, i) => {
    const tp = m[i][i];
    const fn = m[i].reduce((s, x) => s + x, 0) - tp;
    const fp = m.reduce((s, row) => s + row[i], 0) - tp;
    classes[l] = prfOf(tp, fp, fn);
    if (tp + fn > 0) {
      sum += classes[l].f1;
      present++;
    }
  });
  return { classes, macroF1: ratio(sum, present) };
}

/** Multi-label detection: for each category, precision and recall of "predicted set contains it". */
export function detection<T extends string>(gold: readonly (readonly T[])[], pred: readonly (readonly T[])[], categories: readonly T[]): Record<T, Prf> {
  sameLength(gold, pred);
  const out = {} as Record<T, Prf>;
  for (const c of categories) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < gold.length; i++) {
      const g = gold[i].includes(c);
      const p = pred[i].includes(c);
      if (g && p) tp++;
      else if (p) fp++;
      else if (g) fn++;
    }
    out[c] = prfOf(tp, fp, fn);
  }
  return out;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}
