// The learned head over the semantic layer: small linear models per language (weights in
// config/semantic/head-{lang}.json, trained on the dev corpus by bench/understanding-head.ts)
// that read an utterance's embedding plus what the rules already said (lexicon score, rule hits)
// and decide polarity where the lexicon is unsure, emotion, and categories the phrases missed.
// Rules stay authoritative where the file's CV-chosen fusion says so; without an embedding the
// head is never consulted (rules alone, as without the semantic layer).
import { readFileSync } from 'node:fs';
import type { EmotionLabel, Role } from '../../call/types.js';
import { EarshotError } from '../../errors.js';
import { NEG, POS } from '../emotion/fusion.js';
import { predict, type Linear } from './logreg.js';

export const HEAD_FORMAT = 'earshot-semantic-head/1';
export const HEAD_POLARITIES = ['negative', 'neutral', 'positive'] as const;
export const HEAD_EMOTIONS = ['angry', 'frustrated', 'neutral', 'satisfied'] as const;
/** Corpus category -> built-in rule id; the head's hit features and decisions are over these. */
export const HEAD_CATEGORIES = {
  complaint: 'complaint',
  churn: 'churn-intent',
  escalation: 'escalation-request',
  competitor: 'competitor-mention',
  abuse: 'abusive-language',
  praise: 'customer-praise',
  inquiry: 'customer-question',
} as const;
export type HeadCategory = keyof typeof HEAD_CATEGORIES;
export type HeadPolarity = (typeof HEAD_POLARITIES)[number];
/** Features after the embedding: lexicon score, its magnitude, customer speaker. */
export const PRE_EXTRA = 3;

export interface CategoryModel {
  category: HeadCategory;
  rule: string;
  w: number[];
  b: number;
  /** Probability at or above which the head adds the category (rules OR head). */
  threshold: number;
}

export interface HeadFile {
  format: typeof HEAD_FORMAT;
  lang: 'en' | 'zh';
  model: string;
  dim: number;
  /** Rule ids whose hits are features of the category models, in order. */
  hitRules: string[];
  polarity: Linear & {
    /** The lexicon's polarity stands when |score| >= unsure; 0 = the head always decides, > 1 = never. */
    unsure: number;
    /** The head overrides only with at least this probability for its label. */
    margin: number;
  };
  emotion: Linear & { use: 'off' | 'head' | 'neutral'; margin: number };
  categories: CategoryModel[];
  /** How it was trained (informative: counts, CV figures, the command). */
  trained?: unknown;
}

export type HeadDecision = (kind: 'polarity' | 'emotion' | 'category', label: string) => void;

const bad = (path: string, why: string): EarshotError => new EarshotError('EARSHOT_ERR_SEMANTIC_HEAD', `${path}: ${why}`);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function linear(path: string, name: string, v: unknown, rows: number, cols: number): Linear {
  if (!isObj(v)) throw bad(path, `${name} must be an object with W and b`);
  const { W, b } = v;
  if (!Array.isArray(W) || W.length !== rows) throw bad(path, `${name}.W must have ${rows} rows`);
  W.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== cols || !r.every(finite)) throw bad(path, `${name}.W[${i}] must be ${cols} finite numbers`);
  });
  if (!Array.isArray(b) || b.length !== rows || !b.every(finite)) throw bad(path, `${name}.b must be ${rows} finite numbers`);
  return { W: W as number[][], b: b as number[] };
}

/** Validates a parsed head file; throws EarshotError EARSHOT_ERR_SEMANTIC_HEAD naming what is wrong. */
export function parseHead(doc: unknown, path: string, lang?: 'en' | 'zh'): HeadFile {
  if (!isObj(doc)) throw bad(path, 'not a JSON object');
  if (doc.format !== HEAD_FORMAT) throw bad(path, `format must be "${HEAD_FORMAT}"`);
  if (doc.lang !== 'en' && doc.lang !== 'zh') throw bad(path, 'lang must be en or zh');
  if (lang && doc.lang !== lang) throw bad(path, `trained for ${doc.lang}, configured for ${lang}`);
  if (typeof doc.model !== 'string') throw bad(path, 'model must name the embedding model');
  const dim = doc.dim;
  if (!Number.isInteger(dim) || (dim as number) < 1 || (dim as number) > 8192) throw bad(path, 'dim must be an integer 1..8192');
  const d = (dim as number) + PRE_EXTRA;
  const hitRules = doc.hitRules;
  if (!Array.isArray(hitRules) || !hitRules.every((r) => typeof r === 'string' && r.length > 0 && r.length <= 100)) throw bad(path, 'hitRules must be a list of rule ids');
  const p = doc.polarity;
  if (!isObj(p) || !finite(p.unsure) || p.unsure < 0 || !finite(p.margin) || p.margin < 0 || p.margin > 1) throw bad(path, 'polarity needs unsure >= 0 and margin 0..1');
  const e = doc.emotion;
  if (!isObj(e) || !['off', 'head', 'neutral'].includes(e.use as string) || !finite(e.margin) || e.margin < 0 || e.margin > 1) throw bad(path, 'emotion needs use off|head|neutral and margin 0..1');
  if (!Array.isArray(doc.categories)) throw bad(path, 'categories must be a list');
  const cats = doc.categories.map((c, i): CategoryModel => {
    if (!isObj(c)) throw bad(path, `categories[${i}] must be an object`);
    const cat = c.category as HeadCategory;
    if (!(cat in HEAD_CATEGORIES)) throw bad(path, `categories[${i}].category must be one of ${Object.keys(HEAD_CATEGORIES).join(', ')}`);
    if (typeof c.rule !== 'string' || !c.rule) throw bad(path, `categories[${i}].rule must be a rule id`);
    if (!finite(c.threshold) || c.threshold < 0 || c.threshold > 1.0001) throw bad(path, `categories[${i}].threshold must be 0..1 (1 or above: never)`);
    const m = linear(path, `categories[${i}]`, { W: [c.w], b: [c.b] }, 1, d + hitRules.length);
    return { category: cat, rule: c.rule, w: m.W[0], b: m.b[0], threshold: c.threshold };
  });
  return {
    format: HEAD_FORMAT,
    lang: doc.lang,
    model: doc.model,
    dim: dim as number,
    hitRules: hitRules as string[],
    polarity: { ...linear(path, 'polarity', p, HEAD_POLARITIES.length, d), unsure: p.unsure, margin: p.margin },
    emotion: { ...linear(path, 'emotion', e, HEAD_EMOTIONS.length, d), use: e.use as 'off' | 'head' | 'neutral', margin: e.margin },
    categories: cats,
    trained: doc.trained,
  };
}

export function loadHead(path: string, lang?: 'en' | 'zh'): HeadFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw bad(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(path, `not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  return parseHead(doc, path, lang);
}

/** Embedding, lexicon score, |score|, customer: the inputs of the polarity and emotion models. */
export function preFeatures(vector: ArrayLike<number>, lexicon: number, role: Role | string): number[] {
  return [...Array.from(vector), lexicon, Math.abs(lexicon), role === 'customer' ? 1 : 0];
}

/** The pre features plus one 0/1 per hit rule: the inputs of the category models. */
export function postFeatures(pre: number[], hitRules: readonly string[], hits: ReadonlySet<string>): number[] {
  return [...pre, ...hitRules.map((r) => (hits.has(r) ? 1 : 0))];
}

export const polarityOfScore = (s: number): HeadPolarity => (s <= NEG ? 'negative' : s >= POS ? 'positive' : 'neutral');

/** The sentiment score a head polarity stands for: the lexicon's own where it agrees in sign. */
export function scoreFor(label: HeadPolarity, p: number, lexicon: number): number {
  if (label === 'neutral') return 0;
  const s = Math.min(1, POS + 0.5 * p);
  return label === 'negative' ? Math.min(lexicon, -s) : Math.max(lexicon, s);
}

/** One language's head, ready to apply. */
export class Head {
  constructor(
    readonly file: HeadFile,
    readonly onDecision?: HeadDecision,
  ) {}

  /** The head's polarity probabilities (negative, neutral, positive). */
  polarityProbs(pre: number[]): number[] {
    return predict(this.file.polarity, pre);
  }

  /** The fused sentiment score, or undefined when the lexicon's stands. */
  sentiment(pre: number[], lexicon: number): number | undefined {
    const f = this.file.polarity;
    if (Math.abs(lexicon) >= f.unsure) return undefined;
    const pr = this.polarityProbs(pre);
    const k = pr.indexOf(Math.max(...pr));
    const label = HEAD_POLARITIES[k];
    if (pr[k] < f.margin || label === polarityOfScore(lexicon)) return undefined;
    this.onDecision?.('polarity', label);
    return scoreFor(label, pr[k], lexicon);
  }

  /** The fused emotion: the head's label where the file's fusion lets it decide, else the rules'. */
  emotion(pre: number[], rules: EmotionLabel): EmotionLabel {
    const f = this.file.emotion;
    if (f.use === 'off' || (f.use === 'neutral' && rules !== 'neutral')) return rules;
    const pr = predict(f, pre);
    const k = pr.indexOf(Math.max(...pr));
    const label = HEAD_EMOTIONS[k];
    if (pr[k] < f.margin || label === rules) return rules;
    this.onDecision?.('emotion', label);
    return label;
  }

  /** Rule ids the head adds (above its threshold) to those that hit; never removes one. */
  categories(pre: number[], hits: ReadonlySet<string>): string[] {
    const x = postFeatures(pre, this.file.hitRules, hits);
    const out: string[] = [];
    for (const c of this.file.categories) {
      if (hits.has(c.rule) || c.threshold > 1) continue;
      if (predict({ W: [c.w], b: [c.b] }, x)[0] >= c.threshold) {
        this.onDecision?.('category', c.category);
        out.push(c.rule);
      }
    }
    return out;
  }
}

/** What the call analysis needs of the head for one utterance. */
export interface HeadInput {
  head: Head;
  /** preFeatures of the utterance (embedding, lexicon score before any override, speaker). */
  pre: number[];
}
