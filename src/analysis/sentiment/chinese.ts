// Chinese sentiment: jieba segmentation + the call-centre lexicon and cues (lexicon-zh.ts), scored
// by the core both languages share so they land on the same -1..1 scale.
import { createRequire } from 'node:module';
import type { Jieba as JiebaT } from '@node-rs/jieba';
import { AGENT, BEFORE_TIME, CONTRAST, INFO_FOLLOW_UP, NOW_TIME, CONCESSIVE, WHY_QUESTION, FILLERS, INTENSIFIERS, IRONIC, NEGATORS, QUESTION, SCOPE_BREAK, VALENCE, ZH_CUES, jiebaUserDict } from './lexicon-zh.js';
import { N_SCALAR, N_SCALAR_NEG, compileCues, normalise, score, type LangTables, type Scored } from './score.js';

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

/** Valence of a token; an unknown compound is split into an intensifier/negator prefix + word. */
function lookup(tok: string): number | undefined {
  const v = VALENCE[tok];
  if (v !== undefined) return v;
  for (const len of [2, 1]) {
    if (tok.length <= len) continue;
    const head = tok.slice(0, len);
    const rest = VALENCE[tok.slice(len)];
    if (rest === undefined) continue;
    if (INTENSIFIERS[head] !== undefined) return rest * INTENSIFIERS[head];
    if (NEGATORS.has(head)) return rest * (rest < 0 ? N_SCALAR_NEG : N_SCALAR);
  }
  return undefined;
}

// Praise right after a negator is not praise: 不满意 must not match 满意.
const CUES = compileCues(ZH_CUES, (src, c) => (c.v > 0 ? `(?<![不没未别])(?:${src})` : src));
const PUNCT = /[\s，,。.！!？?；;、…~～：:“”"'‘’（）()【】[\]]+/gu;

const TABLES: LangTables = {
  negators: NEGATORS,
  boosters: INTENSIFIERS,
  contrast: CONTRAST,
  scopeBreak: SCOPE_BREAK,
  ironic: IRONIC,
  lexicon: lookup,
  // "为什么还没到账" complains as it asks; "大概什么时候到" mostly asks.
  isQuestion: (toks) => {
    const t = toks.join('');
    if (!QUESTION.test(t)) return false;
    // A guess or a how-to after the problem (是不是过期了, 怎么解冻) makes it a question about the problem.
    if (INFO_FOLLOW_UP.test(t)) return 0.25;
    return WHY_QUESTION.test(t) ? 0.85 : 0.45;
  },
  window: 3,
};

/** Tokens without punctuation, spaces or fillers; Latin letters lowercased (sb, app). */
export function chineseTokens(text: string): string[] {
  // Colloquial and northern words as ASR writes them (咋 啥 忒): the standard forms the cues are written in.
  const t = text.toLowerCase().replace(PUNCT, '').replace(/咋/gu, '怎么').replace(/啥/gu, '什么').replace(/忒/gu, '太');
  const toks = segmenter()
    .cut(t, true)
    .filter((w) => w.trim() !== '' && !FILLERS.has(w));
  // "倒是…就是…", "虽然…就是…", "不是要…就是…": after a concession or a denied intent 就是 is "but".
  let conceded = false;
  for (let i = 0; i < toks.length; i++) {
    // 不是要投诉就是… / 不是不满意就是…: something denied first, then the point, as after a concession
    // ("不是…就是…" as either/or, 不是断网就是卡, stays negative on both sides).
    // 还可以/还行/不算差 … 就是: a grudging yes, then the point.
    if (CONCESSIVE.has(toks[i]) || toks[i] === '不是' || toks[i] === '不算' || toks[i] === '还行' || (toks[i] === '还' && toks[i + 1] === '可以')) conceded = true;
    else if (conceded && toks[i] === '就是') toks[i] = '但是';
  }
  // 以前/之前 near the start, then 现在/今天 later: a contrast in time, the present clause dominates. Not after
  // 到/等到 (到现在还没 is one cue) nor when a contrast marker already splits the utterance.
  const before = toks.findIndex((w, i) => i <= 3 && BEFORE_TIME.has(w));
  if (before >= 0 && !toks.some((w) => CONTRAST.has(w))) {
    const now = toks.findIndex((w, i) => i > before + 1 && NOW_TIME.has(w) && !/[到至]$/u.test(toks[i - 1]));
    if (now > 0) toks.splice(now, 0, '但是');
  }
  return toks;
}

function isAgent(text: string, role?: string): boolean {
  if (role === 'agent') return true;
  if (role === 'customer') return false;
  return AGENT.test(text);
}

export function chineseDetail(text: string, role?: string): Scored {
  // Agents' bad news (无法, 驳回) is negative in Chinese service speech; procedural mentions of 投诉 or 销户 are not.
  return score(chineseTokens(text), '', CUES, TABLES, { agent: isAgent(text, role), agentNegative: 0.2, questionPositive: 0.4, questionCue: 0.85 });
}

/** -1..1. */
export function chineseSentiment(text: string, role?: string): number {
  return normalise(chineseDetail(text, role).sum);
}
