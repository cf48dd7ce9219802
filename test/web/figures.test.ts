// Dashboard and report figures read whole hours from the tables migration 005 keeps (emotion_hours,
// category_hours) and partial hours from the rows: for any range and bucket size the result must
// equal a direct computation over utterances and call events.
import t from 'tap';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import * as fig from '../../src/web/reports/figures.js';
import { dbOf } from '../helpers/db.js';

const H = 3_600_000;
const DAY = 24 * H;
const EMOTIONS = ['angry', 'frustrated', 'neutral', 'satisfied'] as const;

t.test('emotion map, hot spots, categories and heat map equal direct computations', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'f.db') });
  t.teardown(() => store.close());
  const base = Date.UTC(2026, 10, 16, 21, 0);
  for (let i = 0; i < 80; i++) {
    const callId = `c${i}`;
    store.upsertCall({ callId, ingest: 'siprec', externalId: callId, startedAt: base + i * 11 * 60_000 + 7_000, queue: i % 4 ? `q${i % 3}` : undefined });
    store.addLeg({ legId: `${callId}-c`, callId, role: 'customer', label: '0' });
    for (let s = 0; s < 4; s++) {
      store.addUtterance({ callId, legId: `${callId}-c`, role: 'customer', seq: s, text: 'x', lang: 'en', startMs: s * 25 * 60_000, endMs: s * 25 * 60_000 + 900, sentiment: 0, emotion: EMOTIONS[(i * 3 + s) % 4], emotionConfidence: 1, categories: [], redactions: 0 });
    }
    for (let k = 0; k < i % 4; k++) store.addCallEvent({ callId, legId: `${callId}-c`, kind: 'category', tMs: k, data: { rule: `cat-${(i + k) % 5}` } });
  }
  store.flush();
  const db = dbOf(store);
  const rawMap = db.prepare(`SELECT CAST((c.started_at + u.start_ms) / @b AS INTEGER) * @b AS bucket, u.emotion, COUNT(*) AS n FROM utterances u JOIN calls c ON c.id = u.call_id
    WHERE u.role = 'customer' AND c.started_at >= @from AND c.started_at < @to GROUP BY 1, 2 ORDER BY 1, 2`);
  const rawCats = db.prepare(`SELECT json_extract(e.data, '$.rule') AS id, COUNT(*) AS hits, COUNT(DISTINCT e.call_id) AS calls FROM call_events e JOIN calls c ON c.id = e.call_id
    WHERE e.kind = 'category' AND c.started_at >= @from AND c.started_at < @to GROUP BY 1 ORDER BY calls DESC, hits DESC, id`);
  const rawHeat = db.prepare(`SELECT CAST(c.started_at / @b AS INTEGER) * @b AS bucket, json_extract(e.data, '$.rule') AS id, COUNT(DISTINCT e.call_id) AS calls FROM call_events e JOIN calls c ON c.id = e.call_id
    WHERE e.kind = 'category' AND c.started_at >= @from AND c.started_at < @to GROUP BY 1, 2 ORDER BY 1, 2`);
  const ranges = [
    { from: base - DAY, to: base + 2 * DAY },
    { from: base + 13 * 60_000, to: base + 9 * H + 41 * 60_000 },
    { from: base + 3 * H + 5 * 60_000, to: base + 3 * H + 50 * 60_000 },
  ];
  for (const r of ranges) {
    for (const b of [H, DAY, 15 * 60_000]) {
      const got = fig.emotionMap(db, r, b).flatMap((x) => EMOTIONS.filter((e) => x.counts[e]).map((e) => ({ bucket: x.bucket, emotion: e, n: x.counts[e] })));
      t.same(got, rawMap.all({ ...r, b }), `emotion map ${r.from - base}..${r.to - base} by ${b}`);
      t.same(fig.categoryHeat(db, r, b), rawHeat.all({ ...r, b }), `heat map ${r.from - base}..${r.to - base} by ${b}`);
    }
    t.same(fig.categories(db, r), rawCats.all(r), `categories ${r.from - base}..${r.to - base}`);
    const spots = fig.hotSpots(db, r, H, 1);
    const q = db.prepare(`SELECT COALESCE(c.queue, '-') AS key, COUNT(*) AS n, SUM(u.emotion IN ('angry','frustrated')) AS neg FROM utterances u JOIN calls c ON c.id = u.call_id
      WHERE u.role = 'customer' AND c.started_at >= @from AND c.started_at < @to GROUP BY 1`).all(r) as { key: string; n: number; neg: number }[];
    const want = q.filter((x) => x.neg > 0).map((x) => ({ key: x.key, n: x.n, negShare: x.neg / x.n })).sort((a, b) => b.negShare - a.negShare || b.n - a.n).slice(0, 5);
    t.same(spots.queues, want, `hot queues ${r.from - base}..${r.to - base}`);
  }
});
