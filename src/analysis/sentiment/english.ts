// English sentiment: VADER's lexicon and scalars (negation, intensity, normalisation) applied by
// the shared scoring core with call-centre cues (lexicon-en.ts). VADER's own rules were written
// for punctuated social-media text; phone transcripts are lowercase run-ons without punctuation,
// full of fillers and formulae, so clause, question and cue handling live in score.ts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DISCLAIMED, EN_AGENT, EN_DISCLAIMER, EN_INQUIRY, EN_BOOSTERS, EN_CONTRAST, EN_CUES, EN_FILLERS, EN_IRONIC, EN_LEAD, EN_NEGATORS, EN_OVERRIDES, EN_QUESTION_START, EN_SCOPE_BREAK, expandContractions } from './lexicon-en.js';
import { compileCues, normalise, score, type LangTables, type Scored } from './score.js';

const require = createRequire(import.meta.url);

/** VADER's word valences (vader_lexicon.txt ships with the vader-sentiment package), read once. */
function loadVader(): Map<string, number> {
  const file = join(dirname(require.resolve('vader-sentiment/package.json')), 'vader_lexicon.txt');
  const out = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [w, v] = line.split('\t');
    // Single letters are spelled-out codes on the phone ("l s six"), not words.
    if (w && v && /^[a-z][a-z'-]+$/u.test(w)) out.set(w, Number(v));
  }
  for (const [w, v] of Object.entries(EN_OVERRIDES)) out.set(w, v);
  return out;
}

let vader: Map<string, number> | undefined;
const lex = (): Map<string, number> => (vader ??= loadVader());

const CUES = compileCues(EN_CUES, (src) => `(?<![a-z'])(?:${src})(?![a-z'])`);

const WH_RELATIVE = new Set(['what', 'when', 'where', 'how', 'which', 'who', 'whatever', 'whenever']);
const SUBJECT = new Set(['the', 'a', 'an', 'my', 'your', 'i', 'you', 'he', 'she', 'they', 'we', 'it', 'this', 'that', 'our', 'his', 'her', 'their', 'someone', 'somebody', 'everyone']);

const TABLES: LangTables = {
  negators: EN_NEGATORS,
  boosters: EN_BOOSTERS,
  contrast: EN_CONTRAST,
  scopeBreak: EN_SCOPE_BREAK,
  ironic: EN_IRONIC,
  lexicon: (t) => lex().get(t),
  isQuestion: (toks) => {
    let i = 0;
    while (i < toks.length && EN_LEAD.has(toks[i])) i++;
    const first = toks[i];
    if (first === undefined) return false;
    // "what the man told me...", "when i called...": a wh-word before a subject opens a statement.
    if (WH_RELATIVE.has(first) && SUBJECT.has(toks[i + 1] ?? '')) return EN_INQUIRY.test(toks.slice(i).join(' '));
    if (EN_QUESTION_START.has(first)) return true;
    const s = toks.slice(i).join(' ');
    if (/^(?:i was wondering|i wonder|i want to know|i would like to know|could you tell me|can you tell me|tell me|any idea|is there any way|do you know)\b/u.test(s)) return true;
    // A statement then a request for information ("my parcel has not come when should i expect it").
    return EN_INQUIRY.test(s);
  },
  window: 3,
  adjacentNegators: new Set(['no']),
  clauseStarts: new Set(['that', 'this', 'it', 'i', 'you', 'we', 'they', 'thats', 'its', 'everything', 'all']),
};

/** Lowercase, no punctuation but apostrophes, no fillers, multi-word softeners joined. */
export function englishTokens(text: string): string[] {
  const t = expandContractions(
    text
      .toLowerCase()
      .replace(/[’‘`´]/gu, "'")
      .replace(/[^a-z0-9'\s]+/gu, ' ')
      .replace(EN_FILLERS, ' '),
  )
    .replace(/\bcan not\b/gu, 'cannot')
    .replace(/\b(kind|sort) of\b/gu, '$1of')
    .replace(/\ba (?:little )?bit\b/gu, 'abit')
    .replace(/\ba little\b/gu, 'alittle');
  return t.split(/\s+/u).filter((w) => w !== '' && w !== "'");
}

/** Speaker: from the leg when known, else from what is said ("let me check", "i can see on your account"). */
function isAgent(toks: string[], role?: string): boolean {
  if (role === 'agent') return true;
  if (role === 'customer') return false;
  return EN_AGENT.test(toks.join(' '));
}

export function englishDetail(text: string, role?: string): Scored {
  const toks = englishTokens(text);
  const out = score(toks, ' ', CUES, TABLES, { agent: isAgent(toks, role), agentNegative: 0.15 });
  if (!EN_DISCLAIMER.test(toks.join(' '))) return out;
  for (const it of out.items) it.v *= DISCLAIMED;
  return { sum: out.sum * DISCLAIMED, items: out.items };
}

/** -1..1. */
export function englishSentiment(text: string, role?: string): number {
  return normalise(englishDetail(text, role).sum);
}
