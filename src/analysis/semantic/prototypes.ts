// Labelled sentiment prototypes (config/semantic/sentiment.yaml): short bilingual sentences per
// polarity. Where the lexicon is unsure (|score| < UNSURE), the utterance's nearest prototypes
// give a second opinion: a clear lead of negative or positive over the other classes moves the
// score across the boundary; otherwise the lexicon's score stands.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { dot } from './types.js';

export const POLARITIES = ['negative', 'neutral', 'positive'] as const;
export type Polarity = (typeof POLARITIES)[number];
export type Prototypes = Record<Polarity, string[]>;

/** The lexicon is unsure below this magnitude (the fusion's own negative/positive boundary). */
export const UNSURE = 0.25;
/** Nearest prototypes averaged per class. */
const K = 3;

export interface SecondOpinionTuning {
  /** Lead of the best class's top-K mean over the runner-up needed to move the score. */
  margin: number;
  /** Score given to an utterance moved to negative / positive. */
  moved: number;
}
/** Tuned on the corpus's dev split (docs/analysis.md). */
export const TUNING: SecondOpinionTuning = { margin: 0.005, moved: 0.35 };

export function loadPrototypes(path: string): Prototypes {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${path}: must map negative/neutral/positive to lists of sentences`);
  const o = doc as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !(POLARITIES as readonly string[]).includes(k));
  if (extra.length) throw new Error(`${path}: unknown key "${extra[0]}" (allowed: ${POLARITIES.join(', ')})`);
  const out = {} as Prototypes;
  for (const k of POLARITIES) {
    const list = o[k];
    if (!Array.isArray(list) || !list.length || list.some((s) => typeof s !== 'string' || !s.trim() || s.length > 500)) {
      throw new Error(`${path}: ${k} must be a non-empty list of sentences (at most 500 characters each)`);
    }
    out[k] = [...new Set((list as string[]).map((s) => s.trim()))];
  }
  return out;
}

function topMean(v: Float32Array, vecs: Float32Array[]): number {
  const s = vecs.map((p) => dot(v, p)).sort((a, b) => b - a);
  const k = Math.min(K, s.length);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += s[i];
  return k ? sum / k : -1;
}

/** The moved score, or undefined when the lexicon's stands. */
export function secondOpinion(score: number, v: Float32Array, vecs: Record<Polarity, Float32Array[]>, t: SecondOpinionTuning = TUNING): number | undefined {
  if (Math.abs(score) >= UNSURE) return undefined;
  const ranked = POLARITIES.map((p) => ({ p, s: topMean(v, vecs[p]) })).sort((a, b) => b.s - a.s);
  const [best, next] = ranked;
  if (best.p === 'neutral' || best.s - next.s < t.margin) return undefined;
  return best.p === 'negative' ? -t.moved : t.moved;
}
