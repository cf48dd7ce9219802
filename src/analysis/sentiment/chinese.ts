// Chinese sentiment: jieba segmentation + the call-centre lexicon, with VADER-like negation
// and intensity rules so both languages land on the same -1..1 scale.
import { createRequire } from 'node:module';
import type { Jieba as JiebaT } from '@node-rs/jieba';
import { CLAUSE_BREAK, INTENSIFIERS, NEGATORS, VALENCE, jiebaUserDict } from './lexicon-zh.js';

const require = createRequire(import.meta.url);
let jieba: JiebaT | undefined;

/** Loading the dictionary takes ~0.3 s: done once, on first use or at stage start. */
export function segmenter(): JiebaT {
  if (!jieba) {
    const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    const { dict } = require('@node-rs/jieba/dict.js') as { dict: Uint8Array };
    jieba = Jieba.withDict(dict);
    jieba.loadDict(Buffer.from(jiebaUserDict()));
  }
  return jieba;
}

/** Negating a negative word ("不是不满意") weakens it to mildly positive, not to praise. */
const NEG_FLIP_POS = -0.6;
const NEG_FLIP_NEG = -0.3;

/** Valence of a token; unknown compounds are split into an intensifier/negator prefix + word. */
function lookup(tok: string): { v: number; mult: number; neg: boolean } | undefined {
  const v = VALENCE[tok];
  if (v !== undefined) return { v, mult: 1, neg: false };
  for (const len of [2, 1]) {
    if (tok.length <= len) continue;
    const head = tok.slice(0, len);
    const rest = VALENCE[tok.slice(len)];
    if (rest === undefined) continue;
    if (INTENSIFIERS[head] !== undefined) return { v: rest, mult: INTENSIFIERS[head], neg: false };
    if (NEGATORS.has(head)) return { v: rest, mult: 1, neg: true };
  }
  return undefined;
}

/** Raw valence sum on VADER's scale (before normalisation). */
export function chineseValence(text: string): number {
  const toks = segmenter().cut(text, true).filter((t) => t.trim() !== '');
  let sum = 0;
  for (let i = 0; i < toks.length; i++) {
    const hit = lookup(toks[i]);
    if (!hit) continue;
    let v = hit.v * hit.mult;
    let negations = hit.neg ? 1 : 0;
    // Look back up to three tokens within the clause for intensifiers and negators.
    for (let j = i - 1; j >= Math.max(0, i - 3); j--) {
      const t = toks[j];
      if (CLAUSE_BREAK.test(t)) break;
      if (NEGATORS.has(t)) negations++;
      else if (INTENSIFIERS[t] !== undefined && j >= i - 2) v *= INTENSIFIERS[t];
      else if (VALENCE[t] !== undefined) break; // another sentiment word owns what precedes it
    }
    for (let k = 0; k < negations; k++) v *= v < 0 ? NEG_FLIP_NEG : NEG_FLIP_POS;
    sum += v;
  }
  const bangs = Math.min(3, (text.match(/[!！]/gu) ?? []).length);
  if (sum !== 0 && bangs) sum += Math.sign(sum) * 0.29 * bangs;
  return sum;
}
