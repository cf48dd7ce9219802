// Fuses what was said (text sentiment, tone words), what it amounts to (the category rules it hit)
// and how it was said (voice arousal against the speaker's own baseline) into one label.
import type { EmotionLabel, Role } from '../../call/types.js';
import type { Lang } from '../lang.js';
import type { Tone } from './tone.js';

/** Sentiment at or beyond these is negative/positive. */
export const NEG = -0.25;
export const POS = 0.25;
/** Agents' politeness scores positive: their satisfaction needs more (or words of pleasure). */
export const AGENT_POS = 0.6;
/** Positive enough to outweigh tone words. */
export const STRONG_POS = 0.6;
/**
 * Arousal z at or above this is "raised voice". Measured on flite voices with sox-raised variants
 * (docs/analysis.md): calm utterances reach ~1.1 against their own baseline, +200 cents/+3 dB ~1.2,
 * +400 cents/+7 dB ~2; 1.5 keeps calm speech out.
 */
export const HIGH_AROUSAL = 1.5;
/** Arousal this high with non-positive words is anger even if the words alone are neutral. */
export const SHOUT_AROUSAL = 2.5;

/** Category rule ids (config/rules) that say the customer has a grievance. */
export const GRIEVANCE_CATEGORIES: readonly string[] = ['complaint', 'churn-intent', 'escalation-request'];
export const ABUSE_CATEGORY = 'abusive-language';
export const PRAISE_CATEGORY = 'customer-praise';
/** Praise for a competitor is not satisfaction with us ("first national bank gave me a better offer"). */
export const COMPETITOR_CATEGORY = 'competitor-mention';
/** The category ids fusion looks at. */
export const CUE_CATEGORIES: readonly string[] = [...GRIEVANCE_CATEGORIES, ABUSE_CATEGORY, PRAISE_CATEGORY, COMPETITOR_CATEGORY];

export interface Cues {
  /** Ids of the category rules the utterance hit (only CUE_CATEGORIES matter). */
  categories?: Iterable<string>;
  /** Tone words found in the utterance (tone.ts). */
  tone?: Tone;
  /** Who spoke: agents' negative words describe the customer's problem, not their own mood. */
  role?: Role;
  /** Language of the utterance (lang.ts). */
  lang?: Lang;
}

export interface Fused {
  emotion: EmotionLabel;
  confidence: number;
}

const clamp = (x: number) => Math.round(Math.max(0, Math.min(1, x)) * 100) / 100;
const part = (x: number, full: number) => Math.max(0, Math.min(1, x / full));

export function fuse(sentiment: number, arousal: number | undefined, cues: Cues = {}): Fused {
  const s = sentiment;
  const voice = arousal !== undefined;
  const a = arousal ?? 0;
  const raised = voice && a >= HIGH_AROUSAL;
  const cats = new Set(cues.categories ?? []);
  // A complaint phrase in words that score positive is negated or in passing ("我不是不满意",
  // "i'm not complaining"), unless a tone or the voice says otherwise; asking how to cancel is not
  // a grievance by itself either. An escalation request always is.
  const toned = cues.tone === 'anger' || cues.tone === 'weary';
  const grievance = (cats.has('complaint') && (s <= 0 || toned || raised)) || cats.has('escalation-request') || (cats.has('churn-intent') && (s < 0 || toned));
  const neg = part(-s, 0.75);
  const angry = (c: number): Fused => ({ emotion: 'angry', confidence: clamp(c) });
  const frustrated = (c: number): Fused => ({ emotion: 'frustrated', confidence: clamp(c) });
  const satisfied = (): Fused => ({ emotion: 'satisfied', confidence: clamp(0.5 + 0.35 * part(s, 0.75) + (cats.has(PRAISE_CATEGORY) ? 0.15 : 0) + (voice && a < 2 ? 0.1 : 0)) });
  const neutral = (): Fused => ({ emotion: 'neutral', confidence: clamp(0.4 + 0.35 * (1 - Math.min(1, Math.abs(s) / POS)) + (voice && Math.abs(a) < HIGH_AROUSAL ? 0.2 : 0)) });

  // Insults are hostile whatever the score or the voice.
  if (cats.has(ABUSE_CATEGORY)) return angry(0.7 + 0.15 * neg + (raised ? 0.15 : 0));

  if (cues.role === 'agent') {
    // "i'm sorry about the double charge": agents name the problem while solving it, politely;
    // "please" and "thank you for holding" are politeness, not satisfaction.
    if (s <= NEG && voice && a >= SHOUT_AROUSAL) return angry(0.35 + 0.15 * part(a - SHOUT_AROUSAL, 1.5));
    return s >= AGENT_POS || (cues.tone === 'pleased' && s >= 0) ? satisfied() : neutral();
  }

  // Hostile words are anger unless the utterance is plainly praise.
  if (cues.tone === 'anger' && (grievance || (!cats.has(PRAISE_CATEGORY) && s < STRONG_POS))) {
    return angry(0.55 + 0.15 * neg + (raised ? 0.2 : 0) + (grievance ? 0.1 : 0));
  }
  // 叫你们领导来, 我要找你们经理: on a Chinese service line a demand for someone senior is a
  // confrontation, labelled angry 33 times in 37 in the dev corpus (English: frustrated 18, angry 9,
  // neutral 13 of 40, "could i speak to a manager please" being a request).
  if (cues.lang === 'zh' && cats.has('escalation-request') && s < POS) {
    return angry(0.5 + 0.15 * neg + (raised ? 0.2 : 0) + (cats.has('complaint') ? 0.1 : 0));
  }
  if (grievance || s <= NEG) {
    // A complaint, escalation or threat to leave said with a raised voice is anger; said evenly,
    // or without voice to tell, it is frustration.
    if (raised) return angry(0.5 + 0.25 * neg + 0.25 * part(a - HIGH_AROUSAL, 2) + (grievance ? 0.1 : 0));
    return frustrated(0.4 + 0.3 * neg + (grievance ? 0.15 : 0) + (voice ? 0.1 : 0) + (cues.tone === 'weary' ? 0.05 : 0));
  }
  if (s < POS && voice && a >= SHOUT_AROUSAL) {
    return angry(0.35 + 0.15 * part(a - SHOUT_AROUSAL, 1.5));
  }
  // Worn-down words outweigh mildly positive ones ("honestly this is the last time i order").
  if (cues.tone === 'weary' && s < STRONG_POS && !cats.has(PRAISE_CATEGORY)) return frustrated(0.45 + (raised ? 0.1 : 0));
  // Leaving, or praising a competitor, is not satisfaction with us however politely it is put.
  const leaving = cats.has(COMPETITOR_CATEGORY) || cats.has('churn-intent');
  if (cats.has(PRAISE_CATEGORY)) return satisfied();
  if ((cues.tone === 'pleased' && s >= 0) || s >= POS) return leaving ? neutral() : satisfied();
  return neutral();
}

/** Severity order, worst first: used for "worst moment" and ties. */
export const SEVERITY: Record<EmotionLabel, number> = { angry: 3, frustrated: 2, neutral: 1, satisfied: 0 };
