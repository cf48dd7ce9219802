// Text sentiment, -1..1, in the language the utterance is actually in.
import { detectLang, type Lang } from '../lang.js';
import { chineseDetail, chineseSentiment, segmenter } from './chinese.js';
import { englishDetail, englishSentiment } from './english.js';
import type { Scored } from './score.js';

export { normalise } from './score.js';

/**
 * `role` is who speaks, when the leg tells (customer/agent); otherwise the speaker is judged from
 * the words. An agent describing or apologising for the customer's problem is not negative.
 */
export function sentiment(text: string, lang: Lang = detectLang(text), role?: string): number {
  if (lang === 'zh') return round(chineseSentiment(text, role));
  if (lang === 'en') return round(englishSentiment(text, role));
  return 0;
}

/** What the score is made of (cues and words with their final valences), for tests and tuning. */
export function sentimentDetail(text: string, lang: Lang = detectLang(text), role?: string): Scored {
  if (lang === 'zh') return chineseDetail(text, role);
  if (lang === 'en') return englishDetail(text, role);
  return { sum: 0, items: [] };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export { segmenter };
