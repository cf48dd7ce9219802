// Per-call emotion trajectory: how the customer started and ended, the worst moment, swings.
import type { EmotionLabel, Role } from '../../call/types.js';
import { SEVERITY } from './fusion.js';

export interface EmotionPoint {
  legId: string;
  role: Role;
  seq: number;
  startMs: number;
  emotion: EmotionLabel;
  sentiment: number;
  arousal?: number;
}

export interface EmotionTrajectory {
  /** Whose utterances these figures are about: the customer's when there are any. */
  subject: 'customer' | 'all';
  start?: EmotionLabel;
  end?: EmotionLabel;
  startSentiment?: number;
  endSentiment?: number;
  worst?: EmotionPoint;
  /** Changes between negative (angry/frustrated) and satisfied, neutral in between ignored. */
  swings: number;
  counts: Record<EmotionLabel, number>;
  points: EmotionPoint[];
}

/**
 * Start = the first non-neutral label among the first few utterances, end = the last one among
 * the last few (neutral if none): neutral means no signal, so it must not hide one.
 */
const EDGE = 3;
/** Points kept per call for the summary; a long call keeps its first ones and the figures stay exact. */
const MAX_POINTS = 1000;

export class Trajectory {
  readonly #all: EmotionPoint[] = [];
  readonly #customer: EmotionPoint[] = [];

  add(p: EmotionPoint): void {
    if (this.#all.length < MAX_POINTS) this.#all.push(p);
    if (p.role === 'customer' && this.#customer.length < MAX_POINTS) this.#customer.push(p);
  }

  summary(): EmotionTrajectory {
    const subject = this.#customer.length ? 'customer' : 'all';
    const pts = subject === 'customer' ? this.#customer : this.#all;
    const counts: Record<EmotionLabel, number> = { angry: 0, frustrated: 0, neutral: 0, satisfied: 0 };
    let worst: EmotionPoint | undefined;
    let swings = 0;
    let lastValence = 0;
    for (const p of pts) {
      counts[p.emotion]++;
      if (!worst || SEVERITY[p.emotion] > SEVERITY[worst.emotion] || (SEVERITY[p.emotion] === SEVERITY[worst.emotion] && p.sentiment < worst.sentiment)) worst = p;
      const v = p.emotion === 'satisfied' ? 1 : p.emotion === 'neutral' ? 0 : -1;
      if (v !== 0) {
        if (lastValence !== 0 && v !== lastValence) swings++;
        lastValence = v;
      }
    }
    const head = pts.slice(0, EDGE);
    const tail = pts.slice(-EDGE);
    return {
      subject,
      start: pts.length ? (head.find((p) => p.emotion !== 'neutral')?.emotion ?? 'neutral') : undefined,
      end: pts.length ? ([...tail].reverse().find((p) => p.emotion !== 'neutral')?.emotion ?? 'neutral') : undefined,
      startSentiment: mean(head),
      endSentiment: mean(tail),
      worst,
      swings,
      counts,
      points: pts,
    };
  }
}

function mean(pts: EmotionPoint[]): number | undefined {
  if (!pts.length) return undefined;
  return Math.round((pts.reduce((s, p) => s + p.sentiment, 0) / pts.length) * 1000) / 1000;
}
