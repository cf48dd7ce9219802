// The console's reads (src/web/queries.ts) over a real SQLite file: the calls list with each filter
// and their combinations, the text-search window, categories as analysis writes them (data.rule),
// and the overview's emotion panel across whole and partial hours against a direct computation.
import t from 'tap';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { TEXT_SEARCH_DAYS, createQueries, textSearchFrom } from '../../src/web/queries.js';
import { dbOf } from '../helpers/db.js';

const H = 3_600_000;
const DAY = 24 * H;
const NOW = Date.UTC(2026, 10, 20, 12, 30);

function seed(store: Store) {
  const add = (n: number, startedAt: number, o: { agent?: string; text?: string; emotion?: 'angry' | 'neutral'; rule?: string; category?: string; active?: boolean } = {}) => {
    const callId = `c${n}`;
    store.upsertCall({ callId, ingest: 'siprec', externalId: `x${n}`, startedAt, agentId: o.agent ?? 'a1', queue: 'billing' });
    store.addLeg({ legId: `l${n}`, callId, role: 'customer', label: '0' });
    store.addUtterance({ callId, legId: `l${n}`, role: 'customer', seq: 0, text: o.text ?? 'hello there', lang: 'en', startMs: 0, endMs: 900, sentiment: 0, emotion: o.emotion ?? 'neutral', emotionConfidence: 1, categories: [], redactions: 0 });
    if (o.rule) store.addCallEvent({ callId, legId: `l${n}`, kind: 'category', tMs: 500, data: { rule: o.rule, utteranceSeq: 0 } });
    if (o.category) store.addCallEvent({ callId, legId: `l${n}`, kind: 'category', tMs: 500, data: { category: o.category } });
    if (!o.active) store.endCall(callId, 'ended', startedAt + 60_000);
  };
  add(1, NOW - 20 * DAY, { text: 'I want a refund', rule: 'refund', emotion: 'angry' });
  add(2, NOW - 12 * H, { text: 'refund please', agent: 'a2', category: 'refund' });
  add(3, NOW - 2 * H, { text: 'fine thanks', emotion: 'angry', rule: 'thanks' });
  add(4, NOW - 60_000, { active: true, agent: 'a2' });
  store.flush();
}

t.test('calls list: filters, combinations, newest first', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'q.db') });
  t.teardown(() => store.close());
  seed(store);
  const q = createQueries(dbOf(store), { clock: () => NOW });
  const ids = (f: Parameters<typeof q.listCalls>[0]) => (q.listCalls(f) as { callId: string }[]).map((c) => c.callId);
  const page = { limit: 100, offset: 0 };
  t.same(ids(page), ['c4', 'c3', 'c2', 'c1']);
  t.same(ids({ ...page, state: 'active' }), ['c4']);
  t.same(ids({ ...page, agent: 'a2' }), ['c4', 'c2']);
  t.same(ids({ ...page, agent: 'a2', state: 'ended' }), ['c2']);
  t.same(ids({ ...page, from: NOW - DAY, to: NOW - 6 * H }), ['c2']);
  t.same(ids({ ...page, category: 'refund' }), ['c2', 'c1'], 'category as analysis writes it (data.rule) and as data.category');
  t.same(ids({ ...page, category: 'refund', agent: 'a1' }), ['c1']);
  t.same(ids({ ...page, emotion: 'angry' }), ['c3', 'c1']);
  t.same(ids({ ...page, emotion: 'angry', category: 'thanks' }), ['c3']);
  t.same(ids({ ...page, limit: 2, offset: 1 }), ['c3', 'c2']);
  // Both plans of the category filter: from the category's index (rare), or walking calls (common).
  const common = createQueries(dbOf(store), { clock: () => NOW, rareCategory: 1 });
  for (const f of [{ category: 'refund' }, { category: 'refund', agent: 'a1' }, { category: 'thanks', emotion: 'angry' }, { category: 'none' }]) {
    t.same((common.listCalls({ ...page, ...f }) as { callId: string }[]).map((c) => c.callId), ids({ ...page, ...f }), `same calls either way: ${JSON.stringify(f)}`);
  }
  const row = q.listCalls({ ...page, agent: 'a2', state: 'active' })[0] as Record<string, unknown>;
  t.match(row, { callId: 'c4', state: 'active', agentId: 'a2', queue: 'billing', utterances: 1, openAlarms: 0 });
});

t.test('text search covers the last TEXT_SEARCH_DAYS days unless a range is given', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'q.db') });
  t.teardown(() => store.close());
  seed(store);
  const q = createQueries(dbOf(store), { clock: () => NOW });
  const ids = (f: Partial<Parameters<typeof q.listCalls>[0]>) => (q.listCalls({ limit: 100, offset: 0, ...f }) as { callId: string }[]).map((c) => c.callId);
  t.equal(TEXT_SEARCH_DAYS, 1);
  t.same(ids({ q: 'refund' }), ['c2'], 'the 20-day-old call is outside the default window');
  t.same(ids({ q: 'refund', from: NOW - 30 * DAY }), ['c2', 'c1'], 'a range reaches older calls');
  t.same(ids({ q: 'refund', to: NOW - 20 * DAY + H }), ['c1'], 'the window ends at `to`');
  t.same(ids({ q: 'refund', to: NOW - 19 * DAY + 2 * H }), [], 'and starts TEXT_SEARCH_DAYS before it');
  t.same(ids({ q: 'REFUND' }), ['c2'], 'case-insensitive like before');
  t.same(ids({ q: 'billing' }), ['c4', 'c3', 'c2'], 'queue text matches too');
  t.same(ids({ q: 'billing', from: 0 }), ['c4', 'c3', 'c2', 'c1'], 'from: 0 searches everything');
  t.same(ids({ q: '100%' }), [], 'LIKE wildcards are literal');
  t.equal(textSearchFrom({}, NOW), NOW - DAY);
  t.equal(textSearchFrom({ from: 5 }, NOW), 5);
  t.equal(textSearchFrom({ to: 10 * DAY }, NOW), 9 * DAY);
});

t.test('overview emotions: whole hours from emotion_hours plus partial hours equal a direct count', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'q.db') });
  t.teardown(() => store.close());
  const base = Date.UTC(2026, 10, 19, 8, 0);
  const emotions = ['angry', 'frustrated', 'neutral', 'satisfied'] as const;
  for (let i = 0; i < 60; i++) {
    const callId = `e${i}`;
    store.upsertCall({ callId, ingest: 'siprec', externalId: callId, startedAt: base + i * 7 * 60_000 + 13_000, queue: i % 3 ? 'q1' : undefined });
    store.addLeg({ legId: `${callId}-c`, callId, role: 'customer', label: '0' });
    store.addLeg({ legId: `${callId}-a`, callId, role: 'agent', label: '1' });
    for (let s = 0; s < 5; s++) {
      const role = s % 2 ? 'agent' : 'customer';
      store.addUtterance({ callId, legId: `${callId}-${role[0]}`, role, seq: s, text: 'x', lang: 'en', startMs: s * 20 * 60_000, endMs: s * 20 * 60_000 + 900, sentiment: ((i * 7 + s) % 11) / 10 - 0.5, emotion: emotions[(i + s) % 4], emotionConfidence: 1, categories: [], redactions: 0 });
    }
  }
  store.flush();
  const q = createQueries(dbOf(store), { clock: () => base + DAY });
  const direct = dbOf(store).prepare(`SELECT u.role, u.emotion, COUNT(*) AS n, AVG(u.sentiment) AS sentiment FROM utterances u JOIN calls c ON c.id = u.call_id
    WHERE c.started_at >= @from AND c.started_at < @to GROUP BY u.role, u.emotion`);
  const round = (rows: unknown) => (rows as { sentiment: number }[]).map((r) => ({ ...r, sentiment: Math.round(r.sentiment * 1e9) / 1e9 }));
  const ranges = [
    { from: base, to: base + DAY },
    { from: base + 17 * 60_000, to: base + 5 * H + 3 * 60_000 }, // partial hours at both ends
    { from: base + 10 * 60_000, to: base + 50 * 60_000 }, // inside one hour
    { from: base + H, to: base + 2 * H }, // exactly one hour
    { from: base + 2 * H, to: base + 2 * H }, // empty
  ];
  for (const r of ranges) t.same(round(q.overview(r).emotions), round(direct.all(r)), `range ${r.from - base}..${r.to - base}`);
});
