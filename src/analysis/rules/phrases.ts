// Phrase matching: case-insensitive; English on word boundaries (so "manager" does not match
// "managerial" and "cancel*" is an explicit prefix, "wait~" its inflections), Chinese as substrings
// (no spaces to align on; "排*还没" allows a short gap). Apostrophes are dropped and contractions
// spelt out in text and phrases alike, because recognisers write "im" and "dont" as often as "i'm"
// (and "gonna", "wanna" as often as "going to").
import { hasCjk, joinCjkSpaces } from '../lang.js';
import { segmenter } from '../sentiment/chinese.js';

export interface PhraseSet {
  /** English phrases by their first character, each a sticky alternation tried at word starts. */
  en: Map<string, RegExp>;
  /** Chinese phrases by their first character. */
  zh: Map<string, string[]>;
  /** Chinese phrases with a gap ("排*还没"). */
  zhGap?: RegExp;
}

/** Characters a Chinese "*" may stand for: enough for "三个小时" or "了两次", not a whole clause. */
export const ZH_GAP = 6;

export interface Span {
  start: number;
  end: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

/** Lower-cased, Chinese spaces removed: every phrase and text is matched in this form. */
export function normaliseText(text: string): string {
  return joinCjkSpaces(text.toLowerCase())
    .replace(/['’]/gu, '')
    .replace(/\s+/gu, ' ')
    .replace(CONTRACTED, (m) => CONTRACTIONS[m] ?? m)
    .replace(I_WILL, 'i will ')
    .replace(PRONOUN_S, (_m, who: string, next: string) => `${who} ${PARTICIPLE.test(next) ? 'has' : 'is'} ${next}`);
}

// "nobody's told us", "nothing's changed" (has) beside "nobody's listening", "everything's fine" (is):
// the apostrophe gone, the pronoun keeps an "s"; "has" before a past participle, "is" otherwise.
const PRONOUN_S = /\b(nobody|no one|noone|somebody|someone|everybody|everyone|nothing|something|everything|anybody|anyone)s ([a-z]+)/gu;
const PARTICIPLE = /^(?:[a-z]+ed|been|told|done|got|gotten|come|gone|seen|heard|rung|said|sent|taken|given|shown|known|made|had|paid|left|bothered|happened|changed|moved|called|replied|answered|fixed|sorted|turned|arrived|explained|offered|bothered)$/u;

// "i'll" loses its apostrophe as "ill", which is also the word for sick ("my mum is ill"): it is
// "i will" only before a verb and not after a word that makes it the adjective.
const I_WILL =
  /(?<!\b(?:is|was|were|are|am|be|been|being|very|really|too|quite|seriously|critically|terminally|mentally|feel|feels|feeling|felt|fell|falling|got|get|gets|getting|become|became|look|looks|looked|looking)\s)\bill (?=(?:be|just|never|not|probably|definitely|certainly|only|have|go|get|take|switch|cancel|close|leave|move|find|stick|stay|ring|call|phone|do|make|see|try|pay|keep|wait|give|come|put|need|send|tell|look|write|report|buy|order|shop|use|end|port|walk|sort|hold|check|let|speak|talk|happily|gladly|still|also|think|consider|vote|drop|stop|transfer|join|sign)\b)/gu;

// Contracted forms are spelt out, in text and phrases alike: "isn't fixed", "isnt fixed" and
// "is not fixed" all contain the phrase "not fixed"; "i'm leaving", "im leaving" are "i am leaving".
const CONTRACTIONS: Record<string, string> = {
  // "its" is mostly "it's" in ASR text; phrases are folded the same way, so either spelling matches.
  its: 'it is', im: 'i am', ive: 'i have', youre: 'you are', theyre: 'they are', thats: 'that is', whats: 'what is', wheres: 'where is',
  hows: 'how is', whos: 'who is', theres: 'there is', dont: 'do not', doesnt: 'does not', didnt: 'did not', cant: 'can not',
  cannot: 'can not', wont: 'will not', wouldnt: 'would not', isnt: 'is not', arent: 'are not', wasnt: 'was not',
  werent: 'were not', havent: 'have not', hasnt: 'has not', hadnt: 'had not', couldnt: 'could not', shouldnt: 'should not',
  // Spoken forms recognisers write as heard.
  gonna: 'going to', wanna: 'want to', gotta: 'got to', lemme: 'let me', gimme: 'give me', dunno: 'do not know', outta: 'out of',
  aint: 'is not', youve: 'you have', weve: 'we have', theyve: 'they have', youll: 'you will', theyll: 'they will', itll: 'it will',
};
const CONTRACTED = new RegExp(`(?<![\\p{L}\\p{N}])(?:${Object.keys(CONTRACTIONS).join('|')})(?![\\p{L}\\p{N}])`, 'gu');

const VOWEL = /[aeiou]/u;
const LATIN = /[\p{Script=Latin}\d&]/u;

/**
 * Regex source for the regular inflections of an English word ("wait~": wait, waits, waited,
 * waiting; "charge~": charged, charging; "stop~": stopped; "reply~": replies, replied).
 * Irregular forms (paid, took) are listed as phrases of their own.
 */
export function inflections(base: string): string {
  const forms = new Set([base, `${base}s`, `${base}es`, `${base}ed`, `${base}ing`]);
  if (base.endsWith('e')) {
    forms.add(`${base}d`);
    forms.add(`${base.slice(0, -1)}ing`);
  }
  if (/[^aeiou]y$/u.test(base)) {
    forms.add(`${base.slice(0, -1)}ies`);
    forms.add(`${base.slice(0, -1)}ied`);
  }
  // Short consonant-vowel-consonant words double the last consonant: stop → stopped, chat → chatting.
  const last = base.at(-1) ?? '';
  if (base.length <= 4 && /[bdgklmnprt]/u.test(last) && VOWEL.test(base.at(-2) ?? '') && !VOWEL.test(base.at(-3) ?? 'a')) {
    forms.add(`${base}${last}ed`);
    forms.add(`${base}${last}ing`);
  }
  return `(?:${[...forms].sort((a, b) => b.length - a.length).map(escape).join('|')})`;
}

// Compiled sets by phrase list: concepts make many rules share long lists. Sets are only read
// (lastIndex is reset before each use), so sharing one between rules is safe.
const COMPILED = new Map<string, PhraseSet>();
const MAX_COMPILED = 2000;

export function compilePhrases(phrases: string[]): PhraseSet {
  const key = phrases.join('\u0000');
  const hit = COMPILED.get(key);
  if (hit) return hit;
  const set = compile(phrases);
  if (COMPILED.size >= MAX_COMPILED) COMPILED.delete(COMPILED.keys().next().value!);
  COMPILED.set(key, set);
  return set;
}

// Concepts make phrase sets of hundreds of entries: one alternation tried at every character
// of every utterance cost most of the evaluation, so sets are indexed by first character.
function compile(phrases: string[]): PhraseSet {
  const en = new Map<string, string[]>();
  const zh = new Map<string, string[]>();
  const zhGap: string[] = [];
  for (const raw of phrases) {
    const p = normaliseText(raw).trim();
    if (!p) continue;
    if (hasCjk(p)) {
      const z = p.replace(/\s+/gu, '');
      if (z.includes('*')) zhGap.push(z.split('*').map(escape).join(`[^\\s]{0,${ZH_GAP}}?`));
      else zh.set(z[0], [...(zh.get(z[0]) ?? []), z]);
      continue;
    }
    const words = p.split(' ').map((w) =>
      w.endsWith('*') ? `${escape(w.slice(0, -1))}[\\p{L}\\p{N}']*` : w.endsWith('~') && w.length > 1 ? inflections(w.slice(0, -1)) : escape(w),
    );
    en.set(p[0], [...(en.get(p[0]) ?? []), words.join("[\\s,.;:!?'\"-]+")]);
  }
  return {
    // Word boundaries against Latin letters and digits only: "12315" and "iphone" stand next to Chinese characters.
    en: new Map([...en].map(([k, alts]) => [k, new RegExp(`(?:${alts.join('|')})(?![\\p{Script=Latin}\\p{N}])`, 'uy')])),
    zh,
    ...(zhGap.length ? { zhGap: new RegExp(zhGap.join('|'), 'gu') } : {}),
  };
}

// Where English words start (after a character that is not a Latin letter or digit), for the
// last text asked about: all rules of an utterance ask about the same text.
let startsOf = { text: '', at: [] as number[] };
const WORD_CHAR = /[\p{Script=Latin}\p{N}]/u;
function latinStarts(text: string): number[] {
  if (startsOf.text === text) return startsOf.at;
  const at: number[] = [];
  for (let i = 0, prev = false; i < text.length; i++) {
    const w = WORD_CHAR.test(text[i]);
    if (w && !prev) at.push(i);
    prev = w;
  }
  startsOf = { text, at };
  return at;
}

function* enMatches(set: PhraseSet, text: string): Generator<Span> {
  if (!set.en.size || !LATIN.test(text)) return;
  // Matches do not overlap (as a global regex would have it): "all day" is one phrase, not also "day".
  let end = 0;
  for (const i of latinStarts(text)) {
    const re = i >= end ? set.en.get(text[i]) : undefined;
    if (!re) continue;
    re.lastIndex = i;
    const m = re.exec(text);
    if (m) {
      end = i + m[0].length;
      yield { start: i, end };
    }
  }
}

/** Every occurrence of any phrase in an already normalised text. */
export function findPhrases(set: PhraseSet, text: string): Span[] {
  const out: Span[] = [...enMatches(set, text)];
  if (!hasCjk(text)) return out;
  for (let i = 0; i < text.length; i++) {
    for (const p of set.zh.get(text[i]) ?? []) if (text.startsWith(p, i)) out.push({ start: i, end: i + p.length });
  }
  if (set.zhGap) {
    set.zhGap.lastIndex = 0;
    for (let m = set.zhGap.exec(text); m; m = set.zhGap.exec(text)) out.push({ start: m.index, end: m.index + m[0].length });
  }
  return out;
}

export function anyPhrase(set: PhraseSet, text: string): boolean {
  if (!enMatches(set, text).next().done) return true;
  // A text without CJK (most English calls) skips the Chinese half.
  if (!hasCjk(text)) return false;
  for (let i = 0; i < text.length; i++) {
    const cands = set.zh.get(text[i]);
    if (cands && cands.some((p) => text.startsWith(p, i))) return true;
  }
  if (!set.zhGap) return false;
  set.zhGap.lastIndex = 0;
  return set.zhGap.test(text);
}

/** Start offsets of the words of a text: English words by letters, Chinese runs cut by jieba. */
export function wordStarts(text: string): number[] {
  const starts: number[] = [];
  const re = /[\u3400-\u9fff\uf900-\ufaff]+|[\p{L}\p{N}'[\]]+/gu;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (hasCjk(m[0])) {
      let off = m.index;
      for (const w of segmenter().cut(m[0], true)) {
        starts.push(off);
        off += w.length;
      }
    } else starts.push(m.index);
  }
  return starts;
}

/** Index of the word containing offset `at`. */
export function wordIndex(starts: number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
