// Customer emotion over time and where it ran hot, for reports and the dashboard's emotion map.
// The reads (whole hours from emotion_hours, the edges from utterances) are the reports
// repository's (src/store/repos/reports.ts); here they are merged and ranked.
import type { Range } from './figures.js';
import { reportsOf, type ReportsSource } from './source.js';
export { splitHours } from '../../store/repos/reports.js';

export const EMOTIONS = ['angry', 'frustrated', 'neutral', 'satisfied'] as const;
export type Emotion = (typeof EMOTIONS)[number];

export interface EmotionTotal {
  role: string;
  emotion: string;
  n: number;
  /** Mean sentiment of those utterances. */
  sentiment: number;
}

/** Utterances of the calls started in the range (of one channel if given), by role and emotion (the dashboard's emotion panel). */
export function emotionTotals(src: ReportsSource, r: Range, channel?: string): EmotionTotal[] {
  const rows = reportsOf(src).emotionTotals(r, channel);
  const by = new Map<string, { role: string; emotion: string; n: number; s: number }>();
  for (const x of rows) {
    const k = `${x.role}\u0000${x.emotion}`;
    const g = by.get(k);
    if (g) {
      g.n += x.n;
      g.s += x.s;
    } else by.set(k, { ...x });
  }
  return [...by.values()]
    .filter((g) => g.n > 0)
    .sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : a.emotion < b.emotion ? -1 : a.emotion > b.emotion ? 1 : 0))
    .map((g) => ({ role: g.role, emotion: g.emotion, n: g.n, sentiment: g.s / g.n }));
}

export interface EmotionBucket {
  bucket: number;
  n: number;
  counts: Record<Emotion, number>;
}

/** Customer utterances by emotion per time bucket (utterance time = call start + offset). */
export function emotionMap(src: ReportsSource, r: Range, bucketMs: number, channel?: string): EmotionBucket[] {
  const rows = reportsOf(src).emotionMap(r, bucketMs, channel);
  const out = new Map<number, EmotionBucket>();
  for (const row of rows) {
    if (!row.n) continue;
    let b = out.get(row.bucket);
    if (!b) out.set(row.bucket, (b = { bucket: row.bucket, n: 0, counts: { angry: 0, frustrated: 0, neutral: 0, satisfied: 0 } }));
    if ((EMOTIONS as readonly string[]).includes(row.emotion)) b.counts[row.emotion as Emotion] += row.n;
    b.n += row.n;
  }
  return [...out.values()].sort((a, b) => a.bucket - b.bucket);
}

export interface HotSpot {
  /** Time bucket start, or the queue name. */
  key: string | number;
  n: number;
  negShare: number;
}

/** Where customers were angriest: buckets and queues by share of angry/frustrated utterances. */
export function hotSpots(src: ReportsSource, r: Range, bucketMs: number, minUtterances = 3): { times: HotSpot[]; queues: HotSpot[] } {
  const neg = (c: Record<Emotion, number>) => c.angry + c.frustrated;
  const times = emotionMap(src, r, bucketMs)
    .filter((b) => b.n >= minUtterances && neg(b.counts) > 0)
    .map((b) => ({ key: b.bucket, n: b.n, negShare: neg(b.counts) / b.n }));
  const byQueue = new Map<string, { n: number; neg: number }>();
  for (const q of reportsOf(src).queueNegatives(r)) {
    const g = byQueue.get(q.key) ?? { n: 0, neg: 0 };
    byQueue.set(q.key, { n: g.n + q.n, neg: g.neg + q.neg });
  }
  const queues = [...byQueue]
    .filter(([, q]) => q.n >= minUtterances && q.neg > 0)
    .map(([key, q]) => ({ key, n: q.n, negShare: q.neg / q.n }));
  const top = (xs: HotSpot[]) => xs.sort((a, b) => b.negShare - a.negShare || b.n - a.n).slice(0, 5);
  return { times: top(times), queues: top(queues) };
}
