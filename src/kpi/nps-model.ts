import type Database from 'better-sqlite3';
import { npsClass, type NpsClass } from './nps.js';
import { SurveysRepo, type NpsSampleRow } from '../store/repos/surveys.js';

// Predicted NPS class per call: multinomial logistic regression on a few call features,
// fitted on the calls that got an NPS answer. Small and hand-written on purpose: a dozen
// standardised features and a few hundred samples need nothing more.

export const CLASSES: NpsClass[] = ['detractor', 'passive', 'promoter'];
export const FEATURES = ['customerAvg', 'customerEnd', 'negativeEnd', 'silenceShare', 'overtalkShare', 'agentInterruptsPerMin', 'holdShare', 'alarms', 'agentTalkRatio', 'logMinutes', 'negativeEmotionShare'] as const;
export const MIN_SURVEYS = 30;
/** Fitting is synchronous (it runs on an API request): the newest calls are plenty and keep it short. */
export const MAX_SAMPLES = 2000;

export interface NpsModel {
  version: 1;
  features: readonly string[];
  mean: number[];
  std: number[];
  /** weights[class][feature], then bias per class. */
  weights: number[][];
  bias: number[];
}

export type NpsFitResult =
  | { ok: false; reason: 'too-few-surveys'; surveys: number; needed: number; message: string }
  | { ok: true; model: NpsModel; trained: number; heldOut: number; accuracy: number; baselineAccuracy: number; classCounts: Record<NpsClass, number> };

export interface Sample {
  key: string;
  x: number[];
  y: NpsClass;
}

/** The model's inputs from a call's KPI summary (`calls.summary.kpi`); missing values are neutral. */
export function callFeatures(kpi: unknown): number[] {
  const at = (...path: string[]): unknown => path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), kpi);
  const num = (v: unknown, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const dur = Math.max(num(at('durationMs')), 1);
  const emo = ['angry', 'frustrated', 'neutral', 'satisfied'].map((e) => num(at('sentiment', 'emotions', 'customer', e)));
  const emoTotal = emo.reduce((a, b) => a + b, 0);
  return [
    num(at('sentiment', 'customerAvg')),
    num(at('sentiment', 'customerEnd')),
    at('sentiment', 'negativeEnd') === true ? 1 : 0,
    num(at('silenceMs')) / dur,
    num(at('overtalkMs')) / dur,
    num(at('agent', 'interruptions')) / (dur / 60_000),
    num(at('holdMs')) / dur,
    num(at('alarms')),
    num(at('agentTalkRatio'), 0.5),
    Math.log1p(dur / 60_000),
    emoTotal ? (emo[0] + emo[1]) / emoTotal : 0,
  ];
}

/** Calls with both a KPI summary and an NPS answer (the latest answer per call), newest first, capped. */
export function loadSamples(db: Database.Database): Sample[] {
  return toSamples(SurveysRepo.for(db).npsSamples(MAX_SAMPLES));
}

/** The model's samples from the store's rows (read on the loop or in a read worker). */
export function toSamples(rows: readonly NpsSampleRow[]): Sample[] {
  return rows.map((r) => ({ key: r.id, x: callFeatures(JSON.parse(r.kpi)), y: npsClass(r.score) }));
}

/** Deterministic split: a sample is held out by a hash of its key, so refits agree. */
export function isHeldOut(key: string, share: number): boolean {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32 < share;
}

export interface FitOptions {
  minSurveys?: number;
  holdout?: number;
  epochs?: number;
  rate?: number;
  l2?: number;
}

export function fitNpsModel(source: Database.Database | Sample[], opts: FitOptions = {}): NpsFitResult {
  const samples = Array.isArray(source) ? source : loadSamples(source);
  const needed = opts.minSurveys ?? MIN_SURVEYS;
  if (samples.length < needed) {
    return { ok: false, reason: 'too-few-surveys', surveys: samples.length, needed, message: `${samples.length} calls have an NPS answer; at least ${needed} are needed to fit a model` };
  }
  const held = samples.filter((s) => isHeldOut(s.key, opts.holdout ?? 0.25));
  const train = samples.filter((s) => !isHeldOut(s.key, opts.holdout ?? 0.25));
  const model = train_(train, opts);
  const counts = Object.fromEntries(CLASSES.map((c) => [c, train.filter((s) => s.y === c).length])) as Record<NpsClass, number>;
  const majority = CLASSES.reduce((a, b) => (counts[b] > counts[a] ? b : a));
  const test = held.length ? held : train;
  const accuracy = test.filter((s) => predictFeatures(model, s.x).class === s.y).length / test.length;
  const baselineAccuracy = test.filter((s) => s.y === majority).length / test.length;
  return { ok: true, model, trained: train.length, heldOut: held.length, accuracy, baselineAccuracy, classCounts: counts };
}

function train_(train: Sample[], opts: FitOptions): NpsModel {
  const d = FEATURES.length;
  const K = CLASSES.length;
  const n = train.length;
  const mean = Array.from({ length: d }, (_, j) => train.reduce((a, s) => a + s.x[j], 0) / n);
  const std = Array.from({ length: d }, (_, j) => Math.sqrt(train.reduce((a, s) => a + (s.x[j] - mean[j]) ** 2, 0) / n) || 1);
  // Flat typed arrays: the loop below runs epochs × samples × classes × features times.
  const X = new Float64Array(n * d);
  const Y = new Int32Array(n);
  train.forEach((s, i) => {
    for (let j = 0; j < d; j++) X[i * d + j] = (s.x[j] - mean[j]) / std[j];
    Y[i] = CLASSES.indexOf(s.y);
  });
  const W = new Float64Array(K * d);
  const b = new Float64Array(K);
  const gW = new Float64Array(K * d);
  const gb = new Float64Array(K);
  const p = new Float64Array(K);
  const rate = opts.rate ?? 0.5;
  const l2 = opts.l2 ?? 1e-3;
  // Full-batch gradient descent on the softmax cross-entropy: convex, so it converges without tuning.
  for (let epoch = 0; epoch < (opts.epochs ?? 400); epoch++) {
    gW.fill(0);
    gb.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * d;
      let max = -Infinity;
      for (let k = 0; k < K; k++) {
        let z = b[k];
        for (let j = 0; j < d; j++) z += W[k * d + j] * X[o + j];
        p[k] = z;
        if (z > max) max = z;
      }
      let sum = 0;
      for (let k = 0; k < K; k++) sum += p[k] = Math.exp(p[k] - max);
      for (let k = 0; k < K; k++) {
        const err = p[k] / sum - (Y[i] === k ? 1 : 0);
        gb[k] += err;
        for (let j = 0; j < d; j++) gW[k * d + j] += err * X[o + j];
      }
    }
    for (let k = 0; k < K; k++) {
      b[k] -= (rate * gb[k]) / n;
      for (let j = 0; j < d; j++) W[k * d + j] -= rate * (gW[k * d + j] / n + l2 * W[k * d + j]);
    }
  }
  const weights = Array.from({ length: K }, (_, k) => Array.from(W.subarray(k * d, (k + 1) * d)));
  return { version: 1, features: FEATURES, mean, std, weights, bias: Array.from(b) };
}

export function predictFeatures(model: NpsModel, x: number[]): { class: NpsClass; probabilities: Record<NpsClass, number> } {
  const z = x.map((v, j) => (v - model.mean[j]) / model.std[j]);
  const p = softmax(CLASSES.map((_, k) => model.bias[k] + dot(model.weights[k], z)));
  const best = p.indexOf(Math.max(...p));
  return { class: CLASSES[best], probabilities: Object.fromEntries(CLASSES.map((c, k) => [c, Math.round(p[k] * 1000) / 1000])) as Record<NpsClass, number> };
}

/** Predicted class of a call from its KPI summary. */
export function predictNps(model: NpsModel, kpi: unknown): { class: NpsClass; probabilities: Record<NpsClass, number> } {
  return predictFeatures(model, callFeatures(kpi));
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / s);
}
