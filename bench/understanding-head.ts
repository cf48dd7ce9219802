// Trains the semantic head (src/analysis/semantic/head.ts) on the DEV split only (every
// corpus/understanding/<lang>/dev*.jsonl; held-out is never read) and measures it by nested
// k-fold cross-validation: per outer fold, the L2 penalty (by out-of-fold log-loss) and the
// fusion with the rules (polarity unsure band and margin, emotion use, per-category thresholds
// for precision >= 85 %) are chosen by inner CV on the training folds alone, then applied to
// the held-back fold. With several dev files it also trains on dev.jsonl and tests on the others
// (a batch written apart from the rules: the closest dev gets to held-out). Finally the same
// choice on all of dev, and the weights go to config/semantic/head-<lang>.json.
//
// Features are computed by the live code path: CallAnalysis.prepare (redaction, lexicon score),
// SemanticLayer.analyse (the embedded e5 server's vector, `similar:` examples), finish (rules).
// Retrain after changing lexicons or rules: npm run build && node dist/bench/understanding-head.js
//   [--lang en,zh] [--folds 5] [--inner 3] [--iters 100] [--no-write] [--json FILE] [--compare-similar]
//   [--by-file] [--one-se] [--fusion-file dev-f.jsonl]
// --by-file: the inner CV that picks the fusion (L2, unsure band, margins, thresholds) holds out one
//   dev FILE at a time where the training part has several, instead of interleaved folds: each batch
//   was written apart, so this asks "does it carry to a batch it has not seen" (held-out is one more).
// --one-se: of the fusion settings whose inner-CV score is within one standard error of the best, the
//   most conservative (the head decides least): it abstains unless it is clearly better than the rules.
// --fusion-file F: every CV over dev scores the rules in-sample (they were tuned on those batches), so it always
//   prefers the rules; with F a batch the rules were never tuned on, the models are fitted on the other files, the
//   fusion is chosen on F (rules and head both unseen there) and the shipped head keeps it (models refitted on all).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import type { EmotionLabel, Role } from '../src/call/types.js';
import { CallAnalysis } from '../src/analysis/call-analysis.js';
import { loadRules } from '../src/analysis/rules/index.js';
import {
  HEAD_CATEGORIES, HEAD_EMOTIONS, HEAD_FORMAT, HEAD_POLARITIES, EMBEDDED_MODEL, PRE_EXTRA, createSemantic, polarityOfScore, postFeatures, preFeatures, predict, scoreFor, train,
  type HeadCategory, type HeadFile, type Linear,
} from '../src/analysis/semantic/index.js';
import { validateConfig } from '../src/config/index.js';
import { createMetrics } from '../src/metrics/registry.js';

const CATS = Object.keys(HEAD_CATEGORIES) as HeadCategory[];
const RULE_IDS = CATS.map((c) => HEAD_CATEGORIES[c]);
const L2S = [0.003, 0.03, 0.3];
const UNSURES = [0, 0.25, 0.4, 0.6, 2];
const MARGINS = [0, 0.5, 0.6, 0.7, 0.8];
// 1.01 = never; written as 1.0001, the most parseHead accepts (above 1: never).
const THRESHOLDS = [...Array.from({ length: 19 }, (_, i) => 0.05 + 0.05 * i), 1.01];
const MIN_P = 0.85;

interface Row {
  id: string;
  file: string;
  role: Role;
  text: string;
  polarity: number;
  emotion: number;
  cats: Set<HeadCategory>;
  lexicon: number;
  ruleEmotion: EmotionLabel;
  hits: Set<string>;
  hitsNoSimilar: Set<string>;
  pre: number[];
  post: number[];
}

const arg = (n: string, d: string): string => {
  const i = process.argv.indexOf(`--${n}`);
  return i > 0 ? process.argv[i + 1] : d;
};

function prf(tp: number, fp: number, fn: number): { p: number; r: number; f1: number } {
  const p = tp + fp ? tp / (tp + fp) : 1;
  const r = tp + fn ? tp / (tp + fn) : 1;
  return { p, r, f1: p + r ? (2 * p * r) / (p + r) : 0 };
}

function counts(gold: boolean[], pred: boolean[]): [number, number, number] {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  gold.forEach((g, i) => {
    if (g && pred[i]) tp++;
    else if (pred[i]) fp++;
    else if (g) fn++;
  });
  return [tp, fp, fn];
}

function macroF1(gold: number[], pred: number[], k: number): number {
  let sum = 0;
  let n = 0;
  for (let c = 0; c < k; c++) {
    const g = gold.map((x) => x === c);
    if (!g.some(Boolean)) continue;
    sum += prf(...counts(g, pred.map((x) => x === c))).f1;
    n++;
  }
  return n ? sum / n : 0;
}

const argmax = (p: number[]): number => p.indexOf(Math.max(...p));

/** Inner-CV options: fold by dev file (where idx spans several) and the one-standard-error rule. */
interface CvOpts {
  byFile?: (i: number) => string;
  oneSe?: boolean;
}
let CV: CvOpts = {};

/** Fold of each position of `idx`: its dev file's index with --by-file (and several files), else interleaved. */
function foldsOf(idx: number[], folds: number): { of: number[]; n: number } {
  if (CV.byFile) {
    const names = [...new Set(idx.map(CV.byFile))].sort();
    if (names.length >= 2) return { of: idx.map((i) => names.indexOf(CV.byFile!(i))), n: names.length };
  }
  return { of: idx.map((_, j) => j % folds), n: folds };
}

/** Out-of-fold probabilities of `idx`, one model per fold. */
function oof(X: number[][], y: number[], K: number, idx: number[], folds: number, l2: number, iters: number): number[][] {
  const out: number[][] = new Array(idx.length);
  const f = foldsOf(idx, folds);
  for (let k = 0; k < f.n; k++) {
    const tr = idx.filter((_, j) => f.of[j] !== k);
    const m = train(tr.map((i) => X[i]), tr.map((i) => y[i]), K, { l2, iters });
    idx.forEach((i, j) => {
      if (f.of[j] === k) out[j] = predict(m, X[i]);
    });
  }
  return out;
}

/** With --one-se: the first candidate (ordered most conservative first) within one SE of the best score. */
function pickOneSe<T>(cands: { v: T; score: number }[], se: number): T {
  const best = Math.max(...cands.map((c) => c.score));
  return (cands.find((c) => c.score >= best - se) ?? cands[0]).v;
}

function logLoss(P: number[][], y: number[], K: number): number {
  let s = 0;
  P.forEach((p, j) => (s -= Math.log(Math.max(1e-9, K === 2 ? (y[j] === 1 ? p[0] : 1 - p[0]) : p[y[j]]))));
  return s / P.length;
}

/** L2 by inner CV log-loss; returns it with the inner OOF probabilities. */
function chooseL2(X: number[][], y: number[], K: number, idx: number[], folds: number, iters: number): { l2: number; P: number[][] } {
  let best = { l2: L2S[0], P: [] as number[][], loss: Infinity };
  for (const l2 of L2S) {
    const P = oof(X, y, K, idx, folds, l2, iters);
    const loss = logLoss(P, idx.map((i) => y[i]), K);
    if (loss < best.loss) best = { l2, P, loss };
  }
  return best;
}

// Fusions: the head's probabilities and the rules' outputs -> the live decision (as in head.ts).
function fusePolarity(p: number[], lexicon: number, unsure: number, margin: number): number {
  const rules = HEAD_POLARITIES.indexOf(polarityOfScore(lexicon));
  if (Math.abs(lexicon) >= unsure) return rules;
  const k = argmax(p);
  return p[k] < margin ? rules : HEAD_POLARITIES.indexOf(polarityOfScore(scoreFor(HEAD_POLARITIES[k], p[k], lexicon)));
}
function fuseEmotion(p: number[], rules: number, use: string, margin: number): number {
  if (use === 'off' || (use === 'neutral' && HEAD_EMOTIONS[rules] !== 'neutral')) return rules;
  const k = argmax(p);
  return p[k] < margin ? rules : k;
}
/** Threshold maximising recall of (rules OR p >= t) at precision >= MIN_P; else the best F1. */
function chooseThreshold(p: number[], rule: boolean[], gold: boolean[]): number {
  let best = { t: 1.01, score: -1 };
  const cands: { v: number; score: number }[] = [];
  for (const t of THRESHOLDS) {
    const m = prf(...counts(gold, p.map((x, i) => rule[i] || x >= t)));
    const score = m.p >= MIN_P ? 2 + m.r : m.f1;
    if (score > best.score + 1e-12) best = { t, score };
    cands.push({ v: t, score });
  }
  if (CV.oneSe && best.score >= 2) {
    // Highest threshold (1.01 = never) whose recall is within one SE of the best, precision still >= MIN_P.
    const pos = gold.filter(Boolean).length;
    const r = best.score - 2;
    return pickOneSe(cands.filter((c) => c.score >= 2).reverse(), Math.sqrt((r * (1 - r)) / Math.max(1, pos)));
  }
  return best.t;
}

interface Choice {
  pol: { m: Linear; unsure: number; margin: number; l2: number };
  emo: { m: Linear; use: 'off' | 'head' | 'neutral'; margin: number; l2: number };
  cats: { m: Linear; t: number; l2: number }[];
}

/** Fusion settings chosen on `idx` from the head's probabilities there (pp, pe, pc[category]; one row per idx). */
function chooseFusion(rows: Row[], idx: number[], pp: number[][], pe: number[][], pc: number[][], useSimilar = true) {
  const yp = rows.map((r) => r.polarity);
  let pol = { unsure: 2, margin: 0, ok: -1 };
  const polCands: { v: { unsure: number; margin: number; ok: number }; score: number }[] = [];
  for (const unsure of UNSURES)
    for (const margin of MARGINS) {
      const ok = idx.filter((i, j) => fusePolarity(pp[j], rows[i].lexicon, unsure, margin) === yp[i]).length;
      if (ok > pol.ok) pol = { unsure, margin, ok };
      polCands.push({ v: { unsure, margin, ok }, score: ok / idx.length });
    }
  if (CV.oneSe) {
    // Most conservative first: the head overrides only where |lexicon| < unsure and p >= margin.
    polCands.sort((a, b) => a.v.unsure - b.v.unsure || b.v.margin - a.v.margin);
    const acc = pol.ok / idx.length;
    pol = pickOneSe(polCands, Math.sqrt((acc * (1 - acc)) / idx.length));
  }
  const ye = rows.map((r) => r.emotion);
  let emo = { use: 'off' as 'off' | 'head' | 'neutral', margin: 0, f1: -1 };
  const emoCands: { v: typeof emo; score: number }[] = [];
  for (const use of ['off', 'head', 'neutral'] as const)
    for (const margin of MARGINS) {
      const f1 = macroF1(idx.map((i) => ye[i]), idx.map((i, j) => fuseEmotion(pe[j], HEAD_EMOTIONS.indexOf(rows[i].ruleEmotion), use, margin)), 4);
      if (f1 > emo.f1 + 1e-12) emo = { use, margin, f1 };
      emoCands.push({ v: { use, margin, f1 }, score: f1 });
    }
  if (CV.oneSe) {
    const rank = { off: 0, neutral: 1, head: 2 };
    emoCands.sort((a, b) => rank[a.v.use] - rank[b.v.use] || b.v.margin - a.v.margin);
    emo = pickOneSe(emoCands, Math.sqrt((emo.f1 * (1 - emo.f1)) / idx.length));
  }
  const thresholds = CATS.map((c, k) => {
    const hits = (i: number) => (useSimilar ? rows[i].hits : rows[i].hitsNoSimilar).has(HEAD_CATEGORIES[c]);
    const gold = idx.map((i) => rows[i].cats.has(c));
    return gold.some(Boolean) && pc[k].length ? chooseThreshold(pc[k], idx.map(hits), gold) : 1.01;
  });
  return { unsure: pol.unsure, margin: pol.margin, emoUse: emo.use, emoMargin: emo.margin, thresholds };
}

/** Everything chosen on `idx` alone (inner CV), and the models fitted on all of it. */
function fit(rows: Row[], idx: number[], folds: number, iters: number, useSimilar = true): Choice {
  const pre = rows.map((r) => r.pre);
  const yp = rows.map((r) => r.polarity);
  const ye = rows.map((r) => r.emotion);
  const pp = chooseL2(pre, yp, 3, idx, folds, iters);
  const pe = chooseL2(pre, ye, 4, idx, folds, iters);
  const post = rows.map((r) => (useSimilar ? r.post : postFeatures(r.pre, RULE_IDS, r.hitsNoSimilar)));
  const pcs = CATS.map((c) => {
    const y = rows.map((r) => (r.cats.has(c) ? 1 : 0));
    if (!idx.some((i) => y[i] === 1)) return { m: { W: [new Array(post[0].length).fill(0)], b: [-10] }, l2: 0, P: [] as number[] };
    const pc = chooseL2(post, y, 2, idx, folds, iters);
    return { m: train(idx.map((i) => post[i]), idx.map((i) => y[i]), 2, { l2: pc.l2, iters }), l2: pc.l2, P: pc.P.map((p) => p[0]) };
  });
  const f = chooseFusion(rows, idx, pp.P, pe.P, pcs.map((x) => x.P), useSimilar);
  return {
    pol: { m: train(idx.map((i) => pre[i]), idx.map((i) => yp[i]), 3, { l2: pp.l2, iters }), unsure: f.unsure, margin: f.margin, l2: pp.l2 },
    emo: { m: train(idx.map((i) => pre[i]), idx.map((i) => ye[i]), 4, { l2: pe.l2, iters }), use: f.emoUse, margin: f.emoMargin, l2: pe.l2 },
    cats: pcs.map((x, k) => ({ m: x.m, t: f.thresholds[k], l2: x.l2 })),
  };
}

/** --fusion-file: models fitted on `base`, the fusion re-chosen on `probe` (a batch the rules were never tuned on). */
function refuse(rows: Row[], base: Choice, probe: number[]): Choice {
  const f = chooseFusion(
    rows, probe,
    probe.map((i) => predict(base.pol.m, rows[i].pre)),
    probe.map((i) => predict(base.emo.m, rows[i].pre)),
    base.cats.map((c) => probe.map((i) => predict(c.m, rows[i].post)[0])),
  );
  return {
    pol: { ...base.pol, unsure: f.unsure, margin: f.margin },
    emo: { ...base.emo, use: f.emoUse, margin: f.emoMargin },
    cats: base.cats.map((c, k) => ({ ...c, t: f.thresholds[k] })),
  };
}
/** The fusion settings of `from` on the models of `to`. */
const withFusion = (to: Choice, from: Choice): Choice => ({
  pol: { ...to.pol, unsure: from.pol.unsure, margin: from.pol.margin },
  emo: { ...to.emo, use: from.emo.use, margin: from.emo.margin },
  cats: to.cats.map((c, k) => ({ ...c, t: from.cats[k].t })),
});

interface Pred {
  pol: { rules: number; head: number; fused: number };
  emo: { rules: number; head: number; fused: number };
  cat: Record<HeadCategory, { rules: boolean; rulesNoSimilar: boolean; head: boolean; fused: boolean }>;
}

function apply(ch: Choice, r: Row, useSimilar = true): Pred {
  const pp = predict(ch.pol.m, r.pre);
  const pe = predict(ch.emo.m, r.pre);
  const hits = useSimilar ? r.hits : r.hitsNoSimilar;
  const x = postFeatures(r.pre, RULE_IDS, hits);
  const ruleEmo = HEAD_EMOTIONS.indexOf(r.ruleEmotion);
  const cat = {} as Pred['cat'];
  CATS.forEach((c, k) => {
    const p = predict(ch.cats[k].m, x)[0];
    const rule = hits.has(HEAD_CATEGORIES[c]);
    cat[c] = { rules: r.hits.has(HEAD_CATEGORIES[c]), rulesNoSimilar: r.hitsNoSimilar.has(HEAD_CATEGORIES[c]), head: p >= ch.cats[k].t, fused: rule || p >= ch.cats[k].t };
  });
  return {
    pol: { rules: HEAD_POLARITIES.indexOf(polarityOfScore(r.lexicon)), head: argmax(pp), fused: fusePolarity(pp, r.lexicon, ch.pol.unsure, ch.pol.margin) },
    emo: { rules: ruleEmo, head: argmax(pe), fused: fuseEmotion(pe, ruleEmo, ch.emo.use, ch.emo.margin) },
    cat,
  };
}

type Report = ReturnType<typeof summarise>;
function summarise(rows: Row[], idx: number[], preds: Pred[]) {
  const pct = (x: number) => Math.round(1000 * x) / 10;
  const acc = (f: (p: Pred) => number) => pct(idx.filter((i, j) => f(preds[j]) === rows[i].polarity).length / idx.length);
  const emo = (f: (p: Pred) => number) => pct(macroF1(idx.map((i) => rows[i].emotion), preds.map(f), 4));
  type PR = { p: number; r: number };
  const cats = {} as Record<HeadCategory, { n: number; rules: PR; rulesNoSimilar: PR; head: PR; fused: PR }>;
  for (const c of CATS) {
    const gold = idx.map((i) => rows[i].cats.has(c));
    const one = (k: 'rules' | 'rulesNoSimilar' | 'head' | 'fused') => {
      const m = prf(...counts(gold, preds.map((p) => p.cat[c][k])));
      return { p: pct(m.p), r: pct(m.r) };
    };
    cats[c] = { n: gold.filter(Boolean).length, rules: one('rules'), rulesNoSimilar: one('rulesNoSimilar'), head: one('head'), fused: one('fused') };
  }
  return {
    n: idx.length,
    polarity: { rules: acc((p) => p.pol.rules), head: acc((p) => p.pol.head), fused: acc((p) => p.pol.fused) },
    emotionMacroF1: { rules: emo((p) => p.emo.rules), head: emo((p) => p.emo.head), fused: emo((p) => p.emo.fused) },
    categories: cats,
  };
}

function print(title: string, r: Report): void {
  console.log(`  ${title} (${r.n} utterances)`);
  console.log(`    polarity accuracy: rules ${r.polarity.rules}%  head alone ${r.polarity.head}%  fused ${r.polarity.fused}%`);
  console.log(`    emotion macro-F1:  rules ${r.emotionMacroF1.rules}%  head alone ${r.emotionMacroF1.head}%  fused ${r.emotionMacroF1.fused}%`);
  for (const c of CATS) {
    const x = r.categories[c];
    const f = (k: 'rules' | 'rulesNoSimilar' | 'head' | 'fused') => `${x[k].p}/${x[k].r}`;
    console.log(`    ${c.padEnd(11)} n=${String(x.n).padEnd(4)} P/R rules ${f('rules')}  rules w/o similar ${f('rulesNoSimilar')}  head alone ${f('head')}  rules OR head ${f('fused')}`);
  }
}

const round = (x: number) => Number(x.toPrecision(6));
const roundM = (m: Linear): Linear => ({ W: m.W.map((r) => r.map(round)), b: m.b.map(round) });

async function main(): Promise<void> {
  const folds = Number(arg('folds', '5'));
  const iters = Number(arg('iters', '100'));
  const inner = Number(arg('inner', '3'));
  const langs = arg('lang', 'en,zh').split(',') as ('en' | 'zh')[];
  const dir = resolve(arg('corpus', 'corpus/understanding'));
  const outDir = resolve(arg('out', 'config/semantic'));
  const write = !process.argv.includes('--no-write');
  const jsonOut = arg('json', '');
  const byFile = process.argv.includes('--by-file');
  const oneSe = process.argv.includes('--one-se');
  const fusionFile = arg('fusion-file', '');
  const cfg = validateConfig({ analysis: { semantic: { enabled: true, budgetMs: 10000, timeoutMs: 60000, head: '', prototypes: '' } } });
  const loaded = await loadRules(resolve(cfg.analysis.rulesDir));
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const set = loaded.set;
  const layer = createSemantic(cfg, createMetrics({ defaults: false }), pino({ level: 'silent' }));
  if (!layer) throw new Error('semantic layer off');
  const all: Record<string, unknown> = {};
  try {
    if (!(await layer.prime(set, 180_000))) throw new Error(`semantic layer not ready: ${layer.state().detail}`);
    for (const lang of langs) {
      const files = readdirSync(join(dir, lang)).filter((f) => /^dev[\w-]*\.jsonl$/.test(f)).sort();
      const src: { file: string; id: string; speaker: string; text: string; polarity: string; emotion: string; categories?: string[] }[] = [];
      for (const f of files) for (const l of readFileSync(join(dir, lang, f), 'utf8').split('\n')) if (l.trim()) src.push({ ...JSON.parse(l), file: f });
      const t0 = Date.now();
      const prepared = src.map((u, i) => {
        const role: Role = u.speaker === 'customer' || u.speaker === 'agent' ? u.speaker : 'unknown';
        const tr = { callId: `h-${i}`, legId: role, role, seq: 0, text: u.text, startMs: 0, endMs: 2000, final: true };
        const a = new CallAnalysis(tr.callId, set);
        const b = new CallAnalysis(tr.callId, set);
        return { u, role, a, b, pa: a.prepare(tr), pb: b.prepare(tr) };
      });
      await layer.o.embedder.embed(prepared.map((x) => x.pa.text)); // batched; analyse() below hits the cache
      const rows: Row[] = [];
      CV = { byFile: byFile ? (i: number) => rows[i].file : undefined, oneSe };
      for (const x of prepared) {
        const facts = await layer.analyse(x.pa.text, x.pa.sentiment, lang, x.role);
        if (!facts) throw new Error('no embedding within the budget');
        const withSim = x.a.finish(x.pa, undefined, facts.similar);
        const noSim = x.b.finish(x.pb);
        const pre = preFeatures(facts.vector, x.pa.sentiment, x.role);
        const hits = new Set(withSim.utterance.categories);
        rows.push({
          id: x.u.id, file: x.u.file, role: x.role, text: x.u.text,
          polarity: HEAD_POLARITIES.indexOf(x.u.polarity as never), emotion: HEAD_EMOTIONS.indexOf(x.u.emotion as never),
          cats: new Set((x.u.categories ?? []) as HeadCategory[]), lexicon: x.pa.sentiment, ruleEmotion: withSim.utterance.emotion,
          hits, hitsNoSimilar: new Set(noSim.utterance.categories), pre, post: postFeatures(pre, RULE_IDS, hits),
        });
      }
      const bad = rows.find((r) => r.polarity < 0 || r.emotion < 0);
      if (bad) throw new Error(`${bad.id}: unknown polarity or emotion label`);
      console.log(`${lang}: ${rows.length} dev utterances (${files.join(', ')}), features in ${Date.now() - t0} ms`);
      const res: Record<string, unknown> = {};
      // Nested CV over all dev files (interleaved folds: reproducible, every domain block spread).
      const every = rows.map((_, i) => i);
      const preds: Pred[] = new Array(rows.length);
      const chosen: string[] = [];
      for (let f = 0; f < folds; f++) {
        const tr = every.filter((i) => i % folds !== f);
        const ch = fit(rows, tr, inner, iters);
        chosen.push(`pol l2 ${ch.pol.l2} unsure ${ch.pol.unsure} margin ${ch.pol.margin}; emo ${ch.emo.use}/${ch.emo.margin}; t ${ch.cats.map((c) => c.t.toFixed(2)).join(' ')}`);
        for (const i of every) if (i % folds === f) preds[i] = apply(ch, rows[i]);
      }
      res.nestedCv = summarise(rows, every, preds);
      res.chosenPerFold = chosen;
      print(`${folds}-fold nested CV on all dev`, res.nestedCv as Report);
      // Same, without the `similar:` examples' hits as inputs (does the head subsume them?).
      if (process.argv.includes('--compare-similar')) {
        const p2: Pred[] = new Array(rows.length);
        for (let f = 0; f < folds; f++) {
          const tr = every.filter((i) => i % folds !== f);
          const ch = fit(rows, tr, inner, iters, false);
          for (const i of every) if (i % folds === f) p2[i] = apply(ch, rows[i], false);
        }
        res.nestedCvNoSimilar = summarise(rows, every, p2);
        print(`${folds}-fold nested CV, head over rules WITHOUT similar: examples ("rules OR head" = phrases OR head)`, res.nestedCvNoSimilar as Report);
      }
      // Transfer: fitted on dev.jsonl, tested on the other dev batches.
      const base = every.filter((i) => rows[i].file === 'dev.jsonl');
      const rest = every.filter((i) => rows[i].file !== 'dev.jsonl');
      if (base.length && rest.length) {
        const ch = fit(rows, base, inner, iters);
        res.transfer = summarise(rows, rest, rest.map((i) => apply(ch, rows[i])));
        print(`fitted on dev.jsonl only, tested on ${[...new Set(rest.map((i) => rows[i].file))].join(', ')}`, res.transfer as Report);
      }
      // --fusion-file: the rules were tuned on every other dev batch, so any CV over them scores the rules in-sample
      // and the fusion always picks "rules". Models fitted on the other files; the fusion (unsure band, margins,
      // thresholds) chosen on this batch, where rules and head are both unseen; the shipped head keeps that fusion.
      let fusionFrom: Choice | undefined;
      if (fusionFile) {
        const probe = every.filter((i) => rows[i].file === fusionFile);
        const others = every.filter((i) => rows[i].file !== fusionFile);
        if (!probe.length || !others.length) throw new Error(`--fusion-file ${fusionFile}: not one of ${files.join(', ')}`);
        const b = fit(rows, others, inner, iters);
        res.fusionFileInnerCv = summarise(rows, probe, probe.map((i) => apply(b, rows[i])));
        print(`fitted on the other files (fusion by their inner CV), tested on ${fusionFile}`, res.fusionFileInnerCv as Report);
        fusionFrom = refuse(rows, b, probe);
        res.fusionFileChosen = summarise(rows, probe, probe.map((i) => apply(fusionFrom!, rows[i])));
        res.fusionFileSettings = { unsure: fusionFrom.pol.unsure, margin: fusionFrom.pol.margin, emotion: fusionFrom.emo.use, emotionMargin: fusionFrom.emo.margin, thresholds: Object.fromEntries(CATS.map((c, k) => [c, fusionFrom!.cats[k].t])) };
        print(`same models, fusion chosen on ${fusionFile} itself (optimistic by that choice)`, res.fusionFileChosen as Report);
      }
      // The shipped head: fitted on all of dev; fusion chosen by CV on all of it, or taken from --fusion-file.
      const ch0 = fit(rows, every, folds, iters);
      const ch = fusionFrom ? withFusion(ch0, fusionFrom) : ch0;
      const file: HeadFile = {
        format: HEAD_FORMAT,
        lang,
        model: EMBEDDED_MODEL,
        dim: rows[0].pre.length - PRE_EXTRA,
        hitRules: RULE_IDS,
        polarity: { ...roundM(ch.pol.m), unsure: ch.pol.unsure, margin: ch.pol.margin },
        emotion: { ...roundM(ch.emo.m), use: ch.emo.use, margin: ch.emo.margin },
        categories: CATS.map((c, k) => ({ category: c, rule: HEAD_CATEGORIES[c], w: roundM(ch.cats[k].m).W[0], b: round(ch.cats[k].m.b[0]), threshold: Math.min(ch.cats[k].t, 1.0001) })),
        trained: {
          by: `node dist/bench/understanding-head.js --lang ${lang}${byFile ? ' --by-file' : ''}${oneSe ? ' --one-se' : ''}${fusionFile ? ` --fusion-file ${fusionFile}` : ''}`,
          at: new Date().toISOString().slice(0, 10),
          files,
          utterances: rows.length,
          l2: { polarity: ch.pol.l2, emotion: ch.emo.l2, categories: Object.fromEntries(CATS.map((c, k) => [c, ch.cats[k].l2])) },
          nestedCv: { polarity: (res.nestedCv as Report).polarity, emotionMacroF1: (res.nestedCv as Report).emotionMacroF1 },
        },
      };
      console.log(`  shipped: polarity unsure ${ch.pol.unsure} margin ${ch.pol.margin} l2 ${ch.pol.l2}; emotion ${ch.emo.use} margin ${ch.emo.margin}; thresholds ${CATS.map((c, k) => `${c} ${ch.cats[k].t.toFixed(2)}`).join(', ')}`);
      if (write) {
        const path = join(outDir, `head-${lang}.json`);
        writeFileSync(path, JSON.stringify(file) + '\n');
        console.log(`  wrote ${path}`);
      }
      all[lang] = res;
    }
  } finally {
    await layer.close();
  }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(all, null, 2) + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && existsSync(resolve('package.json'))) {
  main().catch((err: unknown) => {
    console.error(`understanding-head: ${(err as Error).message}`);
    process.exitCode = 1;
  });
}
