// Text sentiment, -1..1, in the language the utterance is actually in.
import { detectLang, type Lang } from '../lang.js';
import { chineseValence, segmenter } from './chinese.js';
import { englishSentiment } from './english.js';

/** VADER's normalisation: maps an unbounded valence sum into -1..1. */
export function normalise(sum: number, alpha = 15): number {
  if (sum === 0) return 0;
  const x = sum / Math.sqrt(sum * sum + alpha);
  return Math.max(-1, Math.min(1, x));
}

export function sentiment(text: string, lang: Lang = detectLang(text)): number {
  if (lang === 'zh') return round(normalise(chineseValence(text)));
  if (lang === 'en') return round(englishSentiment(text));
  return 0;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export { segmenter };
