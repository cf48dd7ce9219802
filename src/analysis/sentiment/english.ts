// English sentiment: VADER, which already handles negation ("not bad at all"), intensifiers,
// capitals and punctuation, plus a call-centre phrase lexicon for what VADER reads as neutral
// ("I've been waiting for two hours", "you charged me twice").
import { createRequire } from 'node:module';
import { callCentreValence } from './lexicon-en.js';

interface Vader {
  SentimentIntensityAnalyzer: { polarity_scores(text: string): { compound: number } };
}
const require = createRequire(import.meta.url);
const vader = require('vader-sentiment') as Vader;
const ALPHA = 15;

/** VADER compound with the call-centre valences added to VADER's own (recovered) sum, -1..1. */
export function englishSentiment(text: string): number {
  const compound = vader.SentimentIntensityAnalyzer.polarity_scores(text).compound;
  const extra = callCentreValence(text);
  if (extra === 0) return compound;
  // Invert VADER's normalisation x / sqrt(x² + α) to get its sum back, add ours, normalise again.
  const c = Math.max(-0.9999, Math.min(0.9999, compound));
  const sum = c * Math.sqrt(ALPHA / (1 - c * c)) + extra;
  return sum / Math.sqrt(sum * sum + ALPHA);
}
