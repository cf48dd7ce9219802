// Keyword watch phrase list: what a leg whose full transcription is shed is still listened for.
// One phrase per line, optional pocketsphinx threshold ("speak to a supervisor /1e-25/"), # comments.
// Every word must be in the pronunciation dictionary: a phrase with an unknown word can never be
// spotted, so it is refused at load (and named in the log) instead of silently never matching.
import { EarshotError } from '../errors.js';

export interface KeyPhrase {
  text: string;
  /** pocketsphinx kws threshold (lower = more sensitive); undefined = the configured default. */
  threshold?: number;
}

export interface PhraseList {
  phrases: KeyPhrase[];
  /** Phrases left out, with the reason (unknown word or bad line), for the operator's log. */
  skipped: Array<{ line: number; reason: string }>;
}

export const MAX_PHRASES = 500;
const LINE = /^([a-z' ]+?)\s*(?:\/\s*([0-9.eE+-]+)\s*\/)?$/;

export class KeywordListError extends EarshotError {
  constructor(message: string) {
    super('EARSHOT_ERR_KEYWORD_LIST', message);
  }
}

/** Parses the phrase file; `known(word)` says whether the dictionary has a pronunciation. */
export function parsePhrases(text: string, known: (word: string) => boolean): PhraseList {
  const phrases: KeyPhrase[] = [];
  const skipped: PhraseList['skipped'] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim().toLowerCase().replace(/\s+/g, ' ');
    if (!line) return;
    const m = LINE.exec(line);
    if (!m) return void skipped.push({ line: i + 1, reason: 'not "words" or "words /threshold/"' });
    const words = m[1]!.trim();
    const threshold = m[2] === undefined ? undefined : Number(m[2]);
    if (threshold !== undefined && !(threshold > 0 && threshold < 1)) return void skipped.push({ line: i + 1, reason: 'threshold must be between 0 and 1' });
    const unknown = words.split(' ').filter((w) => !known(w));
    if (unknown.length) return void skipped.push({ line: i + 1, reason: `not in the dictionary: ${unknown.join(', ')}` });
    if (seen.has(words)) return;
    seen.add(words);
    if (phrases.length >= MAX_PHRASES) return void skipped.push({ line: i + 1, reason: `more than ${MAX_PHRASES} phrases` });
    phrases.push(threshold === undefined ? { text: words } : { text: words, threshold });
  });
  if (!phrases.length) throw new KeywordListError('keyword watch: the phrase list has no usable phrase');
  return { phrases, skipped };
}

/** The words of a pocketsphinx dictionary ("word(2)" alternates folded), and its lines by word. */
export function indexDictionary(dict: string): Map<string, string[]> {
  const byWord = new Map<string, string[]>();
  for (const line of dict.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const word = line.slice(0, sp).replace(/\(\d+\)$/, '');
    const lines = byWord.get(word);
    if (lines) lines.push(line);
    else byWord.set(word, [line]);
  }
  return byWord;
}

/** A kws file and a dictionary holding only the phrases' words: a decoder on it loads in ms, not 70 ms and 29 MB. */
export function kwsFiles(list: PhraseList, dict: Map<string, string[]>, defaultThreshold: number): { kws: string; dict: string } {
  const words = new Set(list.phrases.flatMap((p) => p.text.split(' ')));
  const dictLines = [...words].sort().flatMap((w) => dict.get(w) ?? []);
  const kws = list.phrases.map((p) => `${p.text} /${(p.threshold ?? defaultThreshold).toExponential()}/`);
  return { kws: kws.join('\n') + '\n', dict: dictLines.join('\n') + '\n' };
}
