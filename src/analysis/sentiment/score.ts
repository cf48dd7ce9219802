// The scoring core both languages share: phrase cues (call-centre meaning: waiting, repeat
// contact, money, broken promises, leaving...) and lexicon words become valence items on
// VADER's -4..+4 scale; negation, intensifiers, contrast ("but" / 但是: the clause after
// dominates), questions and sarcasm adjust them; the sum is normalised to -1..1 by the caller.
// Languages supply tokens, tables and a question test; all regexes are compiled once.

export interface CueSpec {
  /** Regular-expression source, matched on the normalised text (English: tokens joined by single spaces). */
  re: string;
  /** Valence on VADER's scale; 0 neutralises the words inside (agent apologies, formulae). */
  v: number;
  /** Multiplier when the clause is a question; default: the language's `questionCue` for complaints, 1 for praise. */
  q?: number;
  /** Sarcasm: the positive words of this clause read as irony when such a cue is in it. */
  ctx?: boolean;
  /** Not subject to a negator before it (the cue carries its own polarity words). */
  fixed?: boolean;
  /** A positive cue that reads as irony in a clause that complains ("thanks a lot for losing it"). */
  irony?: boolean;
  /** Counts in full from an agent too (abuse, refusals); other negative cues are the customer's problem described. */
  agent?: boolean;
  /** An irony frame ("oh great so..."): counts only where the clause reports nothing sincerely good. */
  frame?: boolean;
  /** Only an agent's words ("i have arranged a refund"); from a customer the same words report, not praise. */
  agentOnly?: boolean;
}

export interface Cue {
  re: RegExp;
  v: number;
  q?: number;
  ctx: boolean;
  fixed: boolean;
  irony: boolean;
  agent: boolean;
  frame: boolean;
  agentOnly: boolean;
  src: string;
}

export interface LangTables {
  negators: ReadonlySet<string>;
  /** Multiplier on the next sentiment word (>1 intensifies, <1 softens). */
  boosters: Readonly<Record<string, number>>;
  /** Tokens after which the clause that follows dominates ("but", 但是). */
  contrast: ReadonlySet<string>;
  /** Tokens negation and intensity do not reach across ("and", "because", 而且). */
  scopeBreak: ReadonlySet<string>;
  /** Positive words that turn ironic next to a complaint ("great, another hour on hold"). */
  ironic: ReadonlySet<string>;
  /** Valence of a token: the language's lexicon. Returns the word's valence, or undefined. */
  lexicon(tok: string): number | undefined;
  /**
   * Is this clause (tokens) a question? A number is the multiplier for complaint cues in it
   * (an information question weakens them more than a "why" question); true = the default.
   */
  isQuestion(toks: readonly string[]): boolean | number;
  /** How far back negators and intensifiers reach, in tokens. */
  window: number;
  /** Negators that only negate the word right after them ("no problem"; "no that's perfect" is an answer). */
  adjacentNegators?: ReadonlySet<string>;
  /** Tokens that open a clause of their own after an adjacent negator ("no that is fine", "no it is ok"). */
  clauseStarts?: ReadonlySet<string>;
}

/** VADER's negation scalar for a negated positive word ("not happy"). */
export const N_SCALAR = -0.74;
/** A negated negative word is weaker and only mildly positive ("not unhappy", 不是不满意): not praise. */
export const N_SCALAR_NEG = -0.3;
/** A negated cue mostly cancels ("i was not charged twice"). */
const N_SCALAR_CUE = -0.2;
/** Before a contrast marker words count less, after it more (VADER uses 0.5 / 1.5 for "but"). */
export const BEFORE_CONTRAST = 0.4;
export const AFTER_CONTRAST = 1.2;
/** A negative word inside a question is mostly not a complaint ("why was i not charged"). */
const QUESTION_NEG_WORD = 0.35;
const QUESTION_POS_WORD = 0.7;
/** Irony turns the positive word negative at this share of its size. */
const IRONY = -0.8;

/** Cues in groups of this many share one prefilter regex (one scan tells whether any can match). */
const GROUP = 30;

export interface CueSet {
  groups: { any: RegExp; cues: Cue[] }[];
}

export function compileCues(specs: readonly CueSpec[], wrap: (src: string, c: CueSpec) => string): CueSet {
  const cues = compileEach(specs, wrap);
  const groups: CueSet['groups'] = [];
  for (let i = 0; i < cues.length; i += GROUP) {
    const part = specs.slice(i, i + GROUP);
    groups.push({ any: new RegExp(part.map((c) => `(?:${wrap(c.re, c)})`).join('|'), 'u'), cues: cues.slice(i, i + GROUP) });
  }
  return { groups };
}

function compileEach(specs: readonly CueSpec[], wrap: (src: string, c: CueSpec) => string): Cue[] {
  return specs.map((c) => ({
    re: new RegExp(wrap(c.re, c), 'gu'), v: c.v, q: c.q, ctx: Boolean(c.ctx), fixed: Boolean(c.fixed),
    irony: Boolean(c.irony), agent: Boolean(c.agent), frame: Boolean(c.frame), agentOnly: Boolean(c.agentOnly), src: c.re,
  }));
}

export interface Item {
  /** First and last token index. */
  from: number;
  to: number;
  v: number;
  kind: 'cue' | 'word';
  ctx?: boolean;
  fixed?: boolean;
  irony?: boolean;
  agent?: boolean;
  frame?: boolean;
  q?: number;
  note: string;
}

export interface ScoreOptions {
  /** The speaker is the agent: the customer's problems they describe or apologise for are not their sentiment. */
  agent?: boolean;
  /** Share of a negative cue or word that counts from an agent (cues marked `agent` count in full). */
  agentNegative?: number;
  /** Multiplier of a positive word in a question ("满意吗" asks, it does not praise). */
  questionPositive?: number;
  /** Multiplier of a complaint cue in a question: English callers ask "why hasn't my refund come" as an
   * inquiry, Chinese "为什么还没到账" is labelled a complaint; default 0.4. */
  questionCue?: number;
}

export interface Scored {
  sum: number;
  items: Item[];
}

/**
 * Scores a tokenised utterance. `text` is the tokens joined by `sep`; cue matches are mapped back
 * onto tokens, longest first, and a token inside a cue is not looked up in the lexicon again.
 */
export function score(toks: readonly string[], sep: string, set: CueSet, L: LangTables, opts: ScoreOptions = {}): Scored {
  const n = toks.length;
  if (n === 0) return { sum: 0, items: [] };
  const text = toks.join(sep);
  // Token index of every character (separators belong to the token before them).
  // Plain arrays, not typed arrays: small off-heap buffers per utterance pushed V8 into frequent full GCs.
  const tokAt: number[] = new Array<number>(text.length + 1).fill(0);
  for (let i = 0, p = 0; i < n; i++) {
    const len = toks[i].length + (i < n - 1 ? sep.length : 0);
    tokAt.fill(i, p, p + len);
    p += len;
  }
  tokAt[text.length] = n - 1;

  const matches: { from: number; to: number; len: number; cue: Cue }[] = [];
  for (const g of set.groups) {
    if (!g.any.test(text)) continue;
    for (const cue of g.cues) matchCue(cue);
  }
  function matchCue(cue: Cue): void {
    cue.re.lastIndex = 0;
    for (let m = cue.re.exec(text); m; m = cue.re.exec(text)) {
      if (m[0].length === 0) {
        cue.re.lastIndex++;
        continue;
      }
      matches.push({ from: tokAt[m.index], to: tokAt[m.index + m[0].length - 1], len: m[0].length, cue });
    }
  }
  matches.sort((a, b) => b.len - a.len || Math.abs(b.cue.v) - Math.abs(a.cue.v));
  const used: number[] = new Array<number>(n).fill(0);
  const items: Item[] = [];
  for (const m of matches) {
    let free = true;
    for (let i = m.from; i <= m.to && free; i++) if (used[i]) free = false;
    if (!free) continue;
    used.fill(1, m.from, m.to + 1);
    const c = m.cue;
    if (c.agentOnly && !opts.agent) continue;
    items.push({ from: m.from, to: m.to, v: c.v, kind: 'cue', ctx: c.ctx, fixed: c.fixed, irony: c.irony, agent: c.agent, frame: c.frame, q: c.q, note: c.src });
  }
  for (let i = 0; i < n; i++) {
    if (used[i]) continue;
    const v = L.lexicon(toks[i]);
    if (v === undefined || v === 0) continue;
    items.push({ from: i, to: i, v, kind: 'word', irony: v > 0 && L.ironic.has(toks[i]), q: v < 0 ? QUESTION_NEG_WORD : (opts.questionPositive ?? QUESTION_POS_WORD), note: toks[i] });
  }
  items.sort((a, b) => a.from - b.from);

  // Clauses split at contrast markers; the question test runs per clause.
  const clauseOf: number[] = new Array<number>(n).fill(0);
  const clauseStarts: number[] = [0];
  for (let i = 0; i < n; i++) {
    if (L.contrast.has(toks[i]) && i > 0 && i < n - 2 && !used[i]) clauseStarts.push(i + 1);
    clauseOf[i] = clauseStarts.length - 1;
  }
  const lastClause = clauseStarts.length - 1;
  const question = clauseStarts.map((s, c) => L.isQuestion(toks.slice(s, c < lastClause ? clauseStarts[c + 1] - 1 : n)));

  // Negation and intensity: look back within the clause, stopping at scope breaks and other items.
  const itemAt: number[] = new Array<number>(n).fill(-1);
  items.forEach((it, k) => itemAt.fill(k, it.from, it.to + 1));
  for (const it of items) {
    let mult = 1;
    let negations = 0;
    const fixed = Boolean(it.fixed);
    for (let j = it.from - 1, seen = 0; j >= 0 && seen < L.window; j--, seen++) {
      const t = toks[j];
      if (L.contrast.has(t) || L.scopeBreak.has(t)) break;
      if (itemAt[j] >= 0) break;
      // A cue is only negated by a negator right before it ("not charged twice", not "no hot water since").
      if (L.negators.has(t)) {
        if (L.adjacentNegators?.has(t) && seen > 0) continue;
        // "no that's perfect": an answer, then a clause of its own that "no" does not negate.
        if (L.adjacentNegators?.has(t) && L.clauseStarts?.has(toks[it.from])) continue;
        if (it.kind === 'word' || seen < 2) negations++;
      }
      else if (L.boosters[t] !== undefined && seen < 2) mult *= L.boosters[t];
    }
    let v = it.v * mult;
    if (!fixed) {
      // A negated complaint cue mostly cancels ("not charged twice"); a negated praise turns ("不太满意").
      for (let k = 0; k < negations; k++) v *= v > 0 ? N_SCALAR : it.kind === 'cue' ? N_SCALAR_CUE : N_SCALAR_NEG;
    }
    it.v = v;
  }

  // Sarcasm: praise in a clause that also complains ("great another hour on hold", "谢谢你们啊让我
  // 站了两个钟头") is irony, unless the clause also reports something sincerely good (fixed, sorted).
  for (let c = 0; c <= lastClause; c++) {
    const inClause = items.filter((it) => clauseOf[it.from] === c);
    // Complaint cues, and strong negative words ("another wrong delivery"), make praise ironic.
    const complaint = inClause.filter((it) => it.v < 0 && (it.kind === 'cue' ? it.ctx : it.v <= -1.5)).reduce((s, it) => s + it.v, 0);
    const sincere = inClause.some((it) => it.kind === 'cue' && it.v > 0 && !it.irony);
    if (sincere) {
      for (const it of inClause) if (it.frame) it.v = 0;
      continue;
    }
    if (complaint <= -1) {
      for (const it of inClause) {
        if (it.irony && it.v > 0) {
          it.v *= IRONY;
          it.note += ' (irony)';
        }
      }
    }
  }

  let sum = 0;
  for (const it of items) {
    const c = clauseOf[it.from];
    let v = it.v;
    const qc = question[c];
    if (qc !== false) {
      const cueMult = typeof qc === 'number' ? qc : (opts.questionCue ?? 0.4);
      v *= it.q ?? (v < 0 ? cueMult : (opts.questionPositive ?? QUESTION_POS_WORD));
    }
    if (opts.agent && v < 0 && !it.agent) v *= opts.agentNegative ?? 0.2;
    if (lastClause > 0) v *= c < lastClause ? BEFORE_CONTRAST : AFTER_CONTRAST;
    it.v = v;
    sum += v;
  }
  return { sum, items };
}

/** VADER's normalisation: maps an unbounded valence sum into -1..1. */
export function normalise(sum: number, alpha = 15): number {
  if (sum === 0) return 0;
  const x = sum / Math.sqrt(sum * sum + alpha);
  return Math.max(-1, Math.min(1, x));
}
