// Customer emotion over time and where it ran hot, for reports and the dashboard's emotion map.
// Whole hours come from emotion_hours (migration 005, kept by triggers on utterances); the partial
// hours at either end of a range are read from the utterances themselves, so results are exact
// for any range while a month reads a few thousand rows instead of millions of utterances.
import type Database from 'better-sqlite3';
import type { Range } from './figures.js';

export const EMOTIONS = ['angry', 'frustrated', 'neutral', 'satisfied'] as const;
export type Emotion = (typeof EMOTIONS)[number];
const HOUR = 3_600_000;

/** The whole hours inside a range, and the partial hours before and after them. */
export function splitHours(r: Range): { hours: Range | null; edges: Range[] } {
  const h0 = Math.ceil(r.from / HOUR) * HOUR;
  const h1 = Math.floor(r.to / HOUR) * HOUR;
  if (h1 <= h0) return { hours: null, edges: r.to > r.from ? [r] : [] };
  return { hours: { from: h0, to: h1 }, edges: [{ from: r.from, to: h0 }, { from: h1, to: r.to }].filter((e) => e.to > e.from) };
}

/**
 * Runs `hoursSql` over the whole hours and `rawSql` over the edges; rows come back concatenated.
 * Raw queries start from `calls c CROSS JOIN ...`: CROSS JOIN fixes the loop order, so an edge of
 * a few minutes reads those calls' rows even on a database that was never ANALYZEd.
 */
export function hybrid<T>(db: Database.Database, r: Range, hoursSql: string, rawSql: string, extra: Record<string, unknown> = {}): T[] {
  const { hours, edges } = splitHours(r);
  const out: T[] = [];
  if (hours) out.push(...(db.prepare(hoursSql).all({ ...hours, ...extra }) as T[]));
  if (edges.length) {
    const raw = db.prepare(rawSql);
    for (const e of edges) out.push(...(raw.all({ ...e, ...extra }) as T[]));
  }
  return out;
}

export interface EmotionTotal {
  role: string;
  emotion: string;
  n: number;
  /** Mean sentiment of those utterances. */
  sentiment: number;
}

/** Utterances of the calls started in the range, by role and emotion (the dashboard's emotion panel). */
export function emotionTotals(db: Database.Database, r: Range): EmotionTotal[] {
  const rows = hybrid<{ role: string; emotion: string; n: number; s: number }>(
    db,
    r,
    `SELECT role, emotion, SUM(n) AS n, SUM(sentiment) AS s FROM emotion_hours
     WHERE call_hour >= @from AND call_hour < @to GROUP BY role, emotion`,
    `SELECT u.role, u.emotion, COUNT(*) AS n, TOTAL(u.sentiment) AS s FROM calls c CROSS JOIN utterances u ON u.call_id = c.id
     WHERE c.started_at >= @from AND c.started_at < @to GROUP BY u.role, u.emotion`,
  );
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
export function emotionMap(db: Database.Database, r: Range, bucketMs: number): EmotionBucket[] {
  const raw = `SELECT CAST((c.started_at + u.start_ms) / @b AS INTEGER) * @b AS bucket, u.emotion, COUNT(*) AS n
     FROM calls c CROSS JOIN utterances u ON u.call_id = c.id
     WHERE u.role = 'customer' AND c.started_at >= @from AND c.started_at < @to GROUP BY 1, 2`;
  // Hour rows fold into any bucket that is a whole number of hours; other sizes read utterances.
  const rows =
    bucketMs % HOUR === 0
      ? hybrid<{ bucket: number; emotion: string; n: number }>(
          db,
          r,
          `SELECT CAST(utt_hour / @b AS INTEGER) * @b AS bucket, emotion, SUM(n) AS n FROM emotion_hours
           WHERE role = 'customer' AND call_hour >= @from AND call_hour < @to GROUP BY 1, 2`,
          raw,
          { b: bucketMs },
        )
      : (db.prepare(raw).all({ ...r, b: bucketMs }) as { bucket: number; emotion: string; n: number }[]);
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
export function hotSpots(db: Database.Database, r: Range, bucketMs: number, minUtterances = 3): { times: HotSpot[]; queues: HotSpot[] } {
  const neg = (c: Record<Emotion, number>) => c.angry + c.frustrated;
  const times = emotionMap(db, r, bucketMs)
    .filter((b) => b.n >= minUtterances && neg(b.counts) > 0)
    .map((b) => ({ key: b.bucket, n: b.n, negShare: neg(b.counts) / b.n }));
  const byQueue = new Map<string, { n: number; neg: number }>();
  for (const q of hybrid<{ key: string; n: number; neg: number }>(
    db,
    r,
    `SELECT CASE queue WHEN '' THEN '-' ELSE queue END AS key, SUM(n) AS n, TOTAL(CASE WHEN emotion IN ('angry','frustrated') THEN n END) AS neg
     FROM emotion_hours WHERE role = 'customer' AND call_hour >= @from AND call_hour < @to GROUP BY 1`,
    `SELECT COALESCE(c.queue, '-') AS key, COUNT(*) AS n, SUM(u.emotion IN ('angry','frustrated')) AS neg
     FROM calls c CROSS JOIN utterances u ON u.call_id = c.id
     WHERE u.role = 'customer' AND c.started_at >= @from AND c.started_at < @to GROUP BY 1`,
  )) {
    const g = byQueue.get(q.key) ?? { n: 0, neg: 0 };
    byQueue.set(q.key, { n: g.n + q.n, neg: g.neg + q.neg });
  }
  const queues = [...byQueue]
    .filter(([, q]) => q.n >= minUtterances && q.neg > 0)
    .map(([key, q]) => ({ key, n: q.n, negShare: q.neg / q.n }));
  const top = (xs: HotSpot[]) => xs.sort((a, b) => b.negShare - a.negShare || b.n - a.n).slice(0, 5);
  return { times: top(times), queues: top(queues) };
}
