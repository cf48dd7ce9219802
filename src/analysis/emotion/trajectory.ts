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
  /** Label at the start and at the end (see LOOK). */
  start?: EmotionLabel;
  end?: EmotionLabel;
  /** The call ends angry or frustrated. */
  endsNegative: boolean;
  /** Mean sentiment of the first / last three utterances. */
  startSentiment?: number;
  endSentiment?: number;
  /** The first utterance with the most severe label. */
  worst?: EmotionPoint;
  /** Changes between negative (angry/frustrated) and satisfied, neutral in between ignored. */
  swings: number;
  counts: Record<EmotionLabel, number>;
  points: EmotionPoint[];
}

/**
 * Start = the first non-neutral label of the first LOOK utterances, end = the last non-neutral one
 * of the last LOOK (neutral if none). People label a call by its first and last words: a customer
 * who ends on a flat "okay fine" after two neutral answers ended neutral, one who ends on "i want
 * your supervisor" ended angry whatever came before; looking back one more utterance keeps one
 * flat closing word (or one misread utterance) from hiding the mood. On the labelled dev
 * conversations (15 per language) LOOK = 2 agrees best, with the gold utterance labels and with ours.
 */
const LOOK = 2;
/** Utterances averaged for startSentiment / endSentiment. */
const EDGE = 3;
/** Points kept per call for the summary; a long call keeps its first ones and the figures stay exact. */
const MAX_POINTS = 1000;

export class Trajectory {
  readonly #all: EmotionPoint[] = [];
  readonly #customer: EmotionPoint[] = [];
  /** The last EDGE points, kept apart: a call longer than MAX_POINTS still ends where it ends. */
  readonly #tailAll: EmotionPoint[] = [];
  readonly #tailCustomer: EmotionPoint[] = [];

  add(p: EmotionPoint): void {
    if (this.#all.length < MAX_POINTS) this.#all.push(p);
    push(this.#tailAll, p);
    if (p.role !== 'customer') return;
    if (this.#customer.length < MAX_POINTS) this.#customer.push(p);
    push(this.#tailCustomer, p);
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
      // Ties go to the earliest: the moment it first got that bad is the one to review.
      if (!worst || SEVERITY[p.emotion] > SEVERITY[worst.emotion]) worst = p;
      const v = p.emotion === 'satisfied' ? 1 : p.emotion === 'neutral' ? 0 : -1;
      if (v !== 0) {
        if (lastValence !== 0 && v !== lastValence) swings++;
        lastValence = v;
      }
    }
    const head = pts.slice(0, EDGE);
    const tail = subject === 'customer' ? this.#tailCustomer : this.#tailAll;
    const end = endLabel(tail.map((p) => p.emotion));
    return {
      subject,
      start: startLabel(pts.map((p) => p.emotion)),
      end,
      endsNegative: endsNegative(end),
      startSentiment: mean(head),
      endSentiment: mean(tail),
      worst,
      swings,
      counts,
      points: pts,
    };
  }
}

const firstSignal = (xs: EmotionLabel[]) => xs.find((e) => e !== 'neutral') ?? 'neutral';

/** The start label of utterance labels in order (undefined if none). */
export function startLabel(labels: EmotionLabel[]): EmotionLabel | undefined {
  return labels.length ? firstSignal(labels.slice(0, LOOK)) : undefined;
}

/** The end label of utterance labels in order (undefined if none): what "ends negative" is judged on. */
export function endLabel(labels: EmotionLabel[]): EmotionLabel | undefined {
  return labels.length ? firstSignal(labels.slice(-LOOK).reverse()) : undefined;
}

function push(tail: EmotionPoint[], p: EmotionPoint): void {
  tail.push(p);
  if (tail.length > EDGE) tail.shift();
}

/** A call ends negative when its end label is angry or frustrated. */
export function endsNegative(last: EmotionLabel | undefined): boolean {
  return last === 'angry' || last === 'frustrated';
}

function mean(pts: EmotionPoint[]): number | undefined {
  if (!pts.length) return undefined;
  return Math.round((pts.reduce((s, p) => s + p.sentiment, 0) / pts.length) * 1000) / 1000;
}
