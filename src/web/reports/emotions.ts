// Customer emotion over time and where it ran hot, for reports and the dashboard's emotion map.
import type Database from 'better-sqlite3';
import type { Range } from './figures.js';

export const EMOTIONS = ['angry', 'frustrated', 'neutral', 'satisfied'] as const;
export type Emotion = (typeof EMOTIONS)[number];

export interface EmotionBucket {
  bucket: number;
  n: number;
  counts: Record<Emotion, number>;
}

/** Customer utterances by emotion per time bucket (utterance time = call start + offset). */
export function emotionMap(db: Database.Database, r: Range, bucketMs: number): EmotionBucket[] {
  const rows = db
    .prepare(
      `SELECT CAST((c.started_at + u.start_ms) / @b AS INTEGER) * @b AS bucket, u.emotion, COUNT(*) AS n
       FROM utterances u JOIN calls c ON c.id = u.call_id
       WHERE u.role = 'customer' AND c.started_at >= @from AND c.started_at < @to GROUP BY 1, 2 ORDER BY 1`,
    )
    .all({ ...r, b: bucketMs }) as { bucket: number; emotion: string; n: number }[];
  const out = new Map<number, EmotionBucket>();
  for (const row of rows) {
    let b = out.get(row.bucket);
    if (!b) out.set(row.bucket, (b = { bucket: row.bucket, n: 0, counts: { angry: 0, frustrated: 0, neutral: 0, satisfied: 0 } }));
    if ((EMOTIONS as readonly string[]).includes(row.emotion)) b.counts[row.emotion as Emotion] += row.n;
    b.n += row.n;
  }
  return [...out.values()];
}

export interface HotSpot {
  /** Time bucket start, or the queue name. */
  key: string | number;
  n: number;
  negShare: number;
}

/** Where customers were angriest: buckets and queues by share of angry/frustrated utterances. */
export function hotSpots(db: Database.Database, r: Range, bucketMs: number, minUtterances = 3): { times: HotSpot[]; queues: HotSpot[] } {
  const neg = (c: Record<Emotion, number>) => c.angry + c.frustrated;
  const times = emotionMap(db, r, bucketMs)
    .filter((b) => b.n >= minUtterances && neg(b.counts) > 0)
    .map((b) => ({ key: b.bucket, n: b.n, negShare: neg(b.counts) / b.n }));
  const queues = (
    db
      .prepare(
        `SELECT COALESCE(c.queue, '-') AS key, COUNT(*) AS n, SUM(u.emotion IN ('angry','frustrated')) AS neg
         FROM utterances u JOIN calls c ON c.id = u.call_id
         WHERE u.role = 'customer' AND c.started_at >= @from AND c.started_at < @to GROUP BY 1`,
      )
      .all(r) as { key: string; n: number; neg: number }[]
  )
    .filter((q) => q.n >= minUtterances && q.neg > 0)
    .map((q) => ({ key: q.key, n: q.n, negShare: q.neg / q.n }));
  const top = (xs: HotSpot[]) => xs.sort((a, b) => b.negShare - a.negShare || b.n - a.n).slice(0, 5);
  return { times: top(times), queues: top(queues) };
}
