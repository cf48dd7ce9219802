// Fuses text sentiment (what was said) and voice arousal (how it was said) into one label.
import type { EmotionLabel } from '../../call/types.js';

/** Sentiment at or beyond these is negative/positive. */
export const NEG = -0.25;
export const POS = 0.25;
/** Arousal z at or above this is "raised voice". */
export const HIGH_AROUSAL = 1.0;
/** Arousal this high with non-positive words is anger even if the words alone are neutral. */
export const SHOUT_AROUSAL = 2.5;

const clamp = (x: number) => Math.round(Math.max(0, Math.min(1, x)) * 100) / 100;
const part = (x: number, full: number) => Math.max(0, Math.min(1, x / full));

export function fuse(sentiment: number, arousal: number | undefined): { emotion: EmotionLabel; confidence: number } {
  const voice = arousal !== undefined;
  const a = arousal ?? 0;
  if (sentiment <= NEG && voice && a >= HIGH_AROUSAL) {
    return { emotion: 'angry', confidence: clamp(0.5 + 0.25 * part(-sentiment, 0.75) + 0.25 * part(a - HIGH_AROUSAL, 2)) };
  }
  if (sentiment <= NEG) {
    // Without voice we cannot tell anger from frustration: call it frustration, less sure.
    return { emotion: 'frustrated', confidence: clamp(0.4 + 0.35 * part(-sentiment, 0.75) + (voice ? 0.2 : 0)) };
  }
  if (sentiment < POS && voice && a >= SHOUT_AROUSAL) {
    return { emotion: 'angry', confidence: clamp(0.35 + 0.15 * part(a - SHOUT_AROUSAL, 1.5)) };
  }
  if (sentiment >= POS) {
    return { emotion: 'satisfied', confidence: clamp(0.5 + 0.35 * part(sentiment, 0.75) + (voice && a < 2 ? 0.1 : 0)) };
  }
  return { emotion: 'neutral', confidence: clamp(0.4 + 0.35 * (1 - Math.abs(sentiment) / POS) + (voice && Math.abs(a) < HIGH_AROUSAL ? 0.2 : 0)) };
}

/** Severity order, worst first: used for "worst moment" and ties. */
export const SEVERITY: Record<EmotionLabel, number> = { angry: 3, frustrated: 2, neutral: 1, satisfied: 0 };
