// Voice arousal relative to the speaker's own baseline. Absolute pitch and loudness say more
// about the person, the handset and the gain than about emotion, so every feature is a z-score
// against that leg's running mean and spread. See docs/analysis.md for the thresholds.
import type { Prosody } from '../../call/types.js';

export interface VoiceSample {
  prosody?: Prosody;
  /** Words (English) or characters (Chinese) per second; undefined if too short to tell. */
  rate?: number;
}

type Feature = 'f0Mean' | 'f0Std' | 'rms' | 'rate';

/** How much each feature counts in arousal; renormalised over the features present. */
export const WEIGHTS: Record<Feature, number> = { f0Mean: 0.3, f0Std: 0.15, rms: 0.35, rate: 0.2 };
/** Utterances with the feature needed before z-scores mean anything. */
export const MIN_BASELINE = 2;
/** Below this voiced share F0 estimates are noise. */
export const MIN_VOICED = 0.2;
/**
 * Weight, in utterances, of the prior spread: two or three calm utterances that happen to be alike
 * must not make the next ordinary one look agitated, so the leg's own spread takes over gradually.
 */
export const PRIOR_WEIGHT = 4;
/**
 * What the baseline learns from an outlier is clipped to this many spreads from its mean: a customer
 * who shouts for several utterances stays "raised" against their calm voice instead of becoming
 * the new normal after one; a lasting change (a new handset gain) is still followed, slowly.
 */
export const LEARN_CLIP = 1.0;

/** Spread floors: a very steady speaker must not turn a small change into a huge z. */
function floor(f: Feature, mean: number): number {
  switch (f) {
    case 'f0Mean': return Math.max(8, 0.05 * Math.abs(mean));
    case 'f0Std': return Math.max(4, 0.15 * Math.abs(mean));
    case 'rms': return 1.5;
    case 'rate': return Math.max(0.3, 0.1 * Math.abs(mean));
  }
}

/** Typical utterance-to-utterance spread of one calm speaker (flite voices and phone speech). */
function prior(f: Feature, mean: number): number {
  switch (f) {
    case 'f0Mean': return Math.max(10, 0.08 * Math.abs(mean));
    case 'f0Std': return Math.max(6, 0.35 * Math.abs(mean));
    case 'rms': return 3;
    case 'rate': return Math.max(0.5, 0.2 * Math.abs(mean));
  }
}

class Running {
  n = 0;
  mean = 0;
  var = 0;
  /** Plain average for the first ten samples, then an exponential window so the baseline follows the speaker. */
  add(x: number): void {
    this.n++;
    const a = Math.max(1 / this.n, 0.1);
    const d = x - this.mean;
    this.mean += a * d;
    this.var = (1 - a) * (this.var + a * d * d);
  }
}

export class LegBaseline {
  readonly #f: Record<Feature, Running> = { f0Mean: new Running(), f0Std: new Running(), rms: new Running(), rate: new Running() };

  /** Arousal z-score of this sample against the baseline so far (undefined until there is one); then learns it. */
  observe(s: VoiceSample): number | undefined {
    const x = features(s);
    let sum = 0;
    let w = 0;
    const learn: [Running, number][] = [];
    for (const [f, v] of Object.entries(x) as [Feature, number][]) {
      const r = this.#f[f];
      if (r.n < MIN_BASELINE) {
        learn.push([r, v]);
        continue;
      }
      const p = prior(f, r.mean);
      const sd = Math.max(Math.sqrt((PRIOR_WEIGHT * p * p + r.n * r.var) / (PRIOR_WEIGHT + r.n)), floor(f, r.mean));
      const z = (v - r.mean) / sd;
      sum += WEIGHTS[f] * Math.max(-4, Math.min(4, z));
      w += WEIGHTS[f];
      learn.push([r, r.mean + Math.max(-LEARN_CLIP, Math.min(LEARN_CLIP, z)) * sd]);
    }
    for (const [r, v] of learn) r.add(v);
    // A single feature is too weak a basis (rate alone varies with content).
    return w >= 0.3 ? Math.round((sum / w) * 100) / 100 : undefined;
  }
}

function features(s: VoiceSample): Partial<Record<Feature, number>> {
  const out: Partial<Record<Feature, number>> = {};
  const p = s.prosody;
  // -120 dB is "no active frame": silence, not a quiet voice.
  if (p && Number.isFinite(p.rmsDb) && p.rmsDb > -100) out.rms = p.rmsDb;
  if (p && p.voicedRatio >= MIN_VOICED && p.f0MeanHz > 0) {
    out.f0Mean = p.f0MeanHz;
    if (Number.isFinite(p.f0StdHz)) out.f0Std = p.f0StdHz;
  }
  if (s.rate !== undefined && Number.isFinite(s.rate)) out.rate = s.rate;
  return out;
}

/** Speaking rate: recognised words per second for English, characters per second for Chinese. */
export function speakingRate(text: string, startMs: number, endMs: number, words?: number): number | undefined {
  const secs = (endMs - startMs) / 1000;
  if (!(secs >= 0.5)) return undefined;
  const cjk = text.match(/[\u3400-\u9fff]/gu)?.length ?? 0;
  const units = words ?? (cjk > 0 ? cjk : (text.match(/[a-z']+/giu)?.length ?? 0));
  return units > 0 ? units / secs : undefined;
}
