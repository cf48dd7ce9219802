// Phrase matching: case-insensitive; English on word boundaries (so "manager" does not match
// "managerial" and "cancel*" is an explicit prefix), Chinese as substrings (no spaces to align on).
import { hasCjk, joinCjkSpaces } from '../lang.js';
import { segmenter } from '../sentiment/chinese.js';

export interface PhraseSet {
  en?: RegExp;
  zh: string[];
}

export interface Span {
  start: number;
  end: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

/** Lower-cased, Chinese spaces removed: every phrase and text is matched in this form. */
export function normaliseText(text: string): string {
  return joinCjkSpaces(text.toLowerCase()).replace(/\s+/gu, ' ');
}

export function compilePhrases(phrases: string[]): PhraseSet {
  const en: string[] = [];
  const zh: string[] = [];
  for (const raw of phrases) {
    const p = normaliseText(raw).trim();
    if (!p) continue;
    if (hasCjk(p)) {
      zh.push(p.replace(/\s+/gu, ''));
      continue;
    }
    const words = p.split(' ').map((w) => (w.endsWith('*') ? `${escape(w.slice(0, -1))}[\\p{L}\\p{N}']*` : escape(w)));
    en.push(words.join("[\\s,.;:!?'\"-]+"));
  }
  return {
    en: en.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${en.join('|')})(?![\\p{L}\\p{N}])`, 'gu') : undefined,
    zh,
  };
}

/** Every occurrence of any phrase in an already normalised text. */
export function findPhrases(set: PhraseSet, text: string): Span[] {
  const out: Span[] = [];
  if (set.en) {
    set.en.lastIndex = 0;
    for (let m = set.en.exec(text); m; m = set.en.exec(text)) {
      out.push({ start: m.index, end: m.index + m[0].length });
      if (m[0].length === 0) set.en.lastIndex++;
    }
  }
  for (const p of set.zh) {
    for (let i = text.indexOf(p); i >= 0; i = text.indexOf(p, i + p.length)) out.push({ start: i, end: i + p.length });
  }
  return out;
}

export function anyPhrase(set: PhraseSet, text: string): boolean {
  if (set.en) {
    set.en.lastIndex = 0;
    if (set.en.test(text)) return true;
  }
  return set.zh.some((p) => text.includes(p));
}

/** Start offsets of the words of a text: English words by letters, Chinese runs cut by jieba. */
export function wordStarts(text: string): number[] {
  const starts: number[] = [];
  const re = /[\u3400-\u9fff\uf900-\ufaff]+|[\p{L}\p{N}'\[\]]+/gu;
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
