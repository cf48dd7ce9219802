// Nested k-fold cross-validation of a kNN classifier over the DEV split only (never held-out):
// what labelled examples alone, embedded by the embedded e5 model, would give for polarity and
// the complaint / churn / escalation categories. Evidence for (or against) shipping the dev
// examples as a kNN bank next to the rules; the thresholds a shipped bank would use are chosen
// the same way (inner leave-one-out on the training folds), so these figures are not fitted to
// the fold they are measured on.
// With --rules FILE (the output of `understanding.js --split dev --no-semantic --dump --json`) it
// also prints the union "rule hit OR kNN hit" and the polarity hybrid (lexicon where |score| >=
// UNSURE, kNN vote otherwise). Caveat: the rules were written on dev, so on dev they look far
// better than on held-out and the union's gain over them is understated here.
// Run: npx tsc -p . && node dist/bench/understanding-knn-cv.js [--folds 5] [--lang en,zh] [--rules FILE]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UNSURE } from '../src/analysis/semantic/prototypes.js';
import { EMBEDDED_MODEL, EmbeddedServer, HttpEmbedder, dot } from '../src/analysis/semantic/index.js';

interface Line {
  id: string;
  text: string;
  polarity: string;
  categories?: string[];
}
const CATS = ['complaint', 'churn', 'escalation'] as const;
const POL = ['negative', 'neutral', 'positive'] as const;
const KS = [1, 3, 5, 9];
const TS = Array.from({ length: 41 }, (_, i) => -0.04 + i * 0.002);

const arg = (n: string, d: string): string => {
  const i = process.argv.indexOf(`--${n}`);
  return i > 0 ? process.argv[i + 1] : d;
};

/** Mean of the top-k similarities of row i to the members of `idx` (i excluded). */
function topk(S: Float32Array[], i: number, idx: number[], k: number): number {
  const s = idx.filter((j) => j !== i).map((j) => S[i][j]).sort((a, b) => b - a);
  const n = Math.min(k, s.length);
  let sum = 0;
  for (let x = 0; x < n; x++) sum += s[x];
  return n ? sum / n : -1;
}

/** Category score: how much closer i lies to the examples with the category than to those without. */
const catScore = (S: Float32Array[], i: number, pos: number[], neg: number[], k: number): number => topk(S, i, pos, k) - topk(S, i, neg, k);

function f(tp: number, fp: number, fn: number): { p: number; r: number; f1: number } {
  const p = tp + fp ? tp / (tp + fp) : 1;
  const r = tp + fn ? tp / (tp + fn) : 1;
  return { p, r, f1: p + r ? (2 * p * r) / (p + r) : 0 };
}

/** Best polarity and its lead over the runner-up (mean top-k cosine per class). */
function polVote(S: Float32Array[], lines: Line[], i: number, train: number[], k: number): { p: string; lead: number } {
  const by = POL.map((p) => ({ p, s: topk(S, i, train.filter((j) => lines[j].polarity === p), k) })).sort((a, b) => b.s - a.s);
  return { p: by[0].p, lead: by[0].s - by[1].s };
}

function polPredict(S: Float32Array[], lines: Line[], i: number, train: number[], k: number): string {
  const by = POL.map((p) => ({ p, s: topk(S, i, train.filter((j) => lines[j].polarity === p), k) }));
  return by.sort((a, b) => b.s - a.s)[0].p;
}

async function main(): Promise<void> {
  const folds = Number(arg('folds', '5'));
  const langs = arg('lang', 'en,zh').split(',');
  const dir = resolve(arg('corpus', 'corpus/understanding'));
  const rulesFile = arg('rules', '');
  type Pred = { id: string; sentiment: number; polarity: string; categories: string[] };
  const rules: Record<string, Pred[]> = {};
  if (rulesFile) {
    const r = JSON.parse(readFileSync(rulesFile, 'utf8')) as { split: string; rules: { result: Record<string, { predictions?: Pred[] }> } };
    if (r.split !== 'dev') throw new Error(`${rulesFile}: not the dev split`);
    for (const [l, x] of Object.entries(r.rules.result)) if (x.predictions) rules[l] = x.predictions;
  }
  const server = new EmbeddedServer();
  try {
    await server.ready(180_000);
    const e = new HttpEmbedder({ url: () => server.url(), model: EMBEDDED_MODEL, timeoutMs: 120_000, batchSize: 32, cacheSize: 10 });
    for (const lang of langs) {
      const lines = readFileSync(join(dir, lang, 'dev.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Line);
      const t0 = Date.now();
      const V = await e.embed(lines.map((l) => l.text));
      const embedMs = Date.now() - t0;
      const S = V.map((a) => Float32Array.from(V, (b) => dot(a, b)));
      // Fixed interleaved folds (i mod folds): reproducible, and every domain block is spread.
      const fold = lines.map((_, i) => i % folds);
      const R = rules[lang];
      if (R && (R.length !== lines.length || R.some((p, i) => p.id !== lines[i].id))) throw new Error(`${rulesFile}: ${lang} predictions do not match the corpus`);
      const ruleHit = (i: number, c: string): boolean => R !== undefined && R[i].categories.includes(c);
      const polOk: boolean[] = [];
      const hybOk: boolean[] = [];
      const hyb2Ok: boolean[] = [];
      // Hybrid 2: the lexicon stands unless it is unsure AND the kNN vote leads by >= m (m from the training folds).
      const hyb2 = (i: number, v: { p: string; lead: number }, m: number): string => (R && Math.abs(R[i].sentiment) < UNSURE && v.lead >= m ? v.p : R ? R[i].polarity : v.p);
      const uni: Record<string, { tp: number; fp: number; fn: number }> = {};
      for (const c of CATS) uni[c] = { tp: 0, fp: 0, fn: 0 };
      const cat: Record<string, { tp: number; fp: number; fn: number; chosen: string[] }> = {};
      for (const c of CATS) cat[c] = { tp: 0, fp: 0, fn: 0, chosen: [] };
      for (let fo = 0; fo < folds; fo++) {
        const train = lines.map((_, i) => i).filter((i) => fold[i] !== fo);
        const test = lines.map((_, i) => i).filter((i) => fold[i] === fo);
        // Polarity: k by leave-one-out accuracy on the training folds.
        let bestK = KS[0];
        let bestAcc = -1;
        for (const k of KS) {
          const acc = train.filter((i) => polPredict(S, lines, i, train, k) === lines[i].polarity).length / train.length;
          if (acc > bestAcc) [bestK, bestAcc] = [k, acc];
        }
        let bestM = 1;
        if (R) {
          const votes = train.map((i) => polVote(S, lines, i, train, bestK));
          let bestOk = -1;
          for (const m of [0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06, 1]) {
            const ok = train.filter((i, x) => hyb2(i, votes[x], m) === lines[i].polarity).length;
            if (ok > bestOk) [bestM, bestOk] = [m, ok];
          }
        }
        for (const i of test) {
          if (R) hyb2Ok.push(hyb2(i, polVote(S, lines, i, train, bestK), bestM) === lines[i].polarity);
          const knn = polPredict(S, lines, i, train, bestK);
          polOk.push(knn === lines[i].polarity);
          if (R) hybOk.push((Math.abs(R[i].sentiment) >= UNSURE ? R[i].polarity : knn) === lines[i].polarity);
        }
        // Categories: (k, margin threshold) maximising F1 with precision >= 0.85 on the training folds (LOO).
        for (const c of CATS) {
          const has = (i: number): boolean => (lines[i].categories ?? []).includes(c);
          const pos = train.filter(has);
          const neg = train.filter((i) => !has(i));
          let best = { k: 1, t: 0, score: -1 };
          for (const k of KS) {
            const sc = train.map((i) => catScore(S, i, pos, neg, k));
            for (const t of TS) {
              let tp = 0;
              let fp = 0;
              let fn = 0;
              train.forEach((i, x) => {
                const hit = sc[x] >= t;
                if (hit && has(i)) tp++;
                else if (hit) fp++;
                else if (has(i)) fn++;
              });
              const m = f(tp, fp, fn);
              const score = m.p >= 0.85 ? 1 + m.f1 : m.f1;
              if (score > best.score) best = { k, t, score };
            }
          }
          cat[c].chosen.push(`k${best.k}/t${best.t.toFixed(3)}`);
          if (R) {
            // The union's own (k, t), chosen the same way with the rule hits included.
            let bu = { k: 1, t: 1, score: -1 };
            for (const k of KS) {
              const sc = train.map((i) => catScore(S, i, pos, neg, k));
              for (const t of TS) {
                let tp = 0;
                let fp = 0;
                let fn = 0;
                train.forEach((i, x) => {
                  const hit = ruleHit(i, c) || sc[x] >= t;
                  if (hit && has(i)) tp++;
                  else if (hit) fp++;
                  else if (has(i)) fn++;
                });
                const m = f(tp, fp, fn);
                const score = m.p >= 0.85 ? 1 + m.f1 : m.f1;
                if (score > bu.score) bu = { k, t, score };
              }
            }
            for (const i of test) {
              const hit = ruleHit(i, c) || catScore(S, i, pos, neg, bu.k) >= bu.t;
              if (hit && has(i)) uni[c].tp++;
              else if (hit) uni[c].fp++;
              else if (has(i)) uni[c].fn++;
            }
          }
          for (const i of test) {
            const hit = catScore(S, i, pos, neg, best.k) >= best.t;
            if (hit && has(i)) cat[c].tp++;
            else if (hit) cat[c].fp++;
            else if (has(i)) cat[c].fn++;
          }
        }
      }
      const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
      console.log(`${lang}: ${lines.length} dev utterances, embedded in ${embedMs} ms; ${folds}-fold nested CV, kNN alone (no rules)`);
      console.log(`  polarity accuracy ${pct(polOk.filter(Boolean).length / polOk.length)}`);
      for (const c of CATS) {
        const m = f(cat[c].tp, cat[c].fp, cat[c].fn);
        console.log(`  ${c.padEnd(10)} P ${pct(m.p)} R ${pct(m.r)} (tp ${cat[c].tp} fp ${cat[c].fp} fn ${cat[c].fn}; chosen ${cat[c].chosen.join(' ')})`);
      }
      if (R) {
        const acc = (ok: (i: number) => boolean): string => pct(lines.filter((_, i) => ok(i)).length / lines.length);
        console.log(`  rules alone on dev (fitted to it): polarity ${acc((i) => R[i].polarity === lines[i].polarity)}`);
        console.log(`  polarity hybrid 2 (lexicon unless unsure and the kNN vote leads by a CV-chosen margin) ${pct(hyb2Ok.filter(Boolean).length / hyb2Ok.length)}`);
        console.log(`  polarity hybrid (lexicon where |score| >= ${UNSURE}, kNN otherwise) ${pct(hybOk.filter(Boolean).length / hybOk.length)}`);
        for (const c of CATS) {
          const m = f(uni[c].tp, uni[c].fp, uni[c].fn);
          const r0 = f(...(['tp', 'fp', 'fn'] as const).map((k) => lines.filter((l, i) => { const g = (l.categories ?? []).includes(c); const h = ruleHit(i, c); return k === 'tp' ? g && h : k === 'fp' ? h && !g : g && !h; }).length) as [number, number, number]);
          console.log(`  ${c.padEnd(10)} rules P ${pct(r0.p)} R ${pct(r0.r)}; rules OR kNN P ${pct(m.p)} R ${pct(m.r)}`);
        }
      }
    }
    await e.close();
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exitCode = 1;
  });
}
