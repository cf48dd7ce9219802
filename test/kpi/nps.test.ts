// npsReport groups in SQL: its day/week/month starts must be exactly periodOf()'s (UTC, weeks from
// Monday) for answers on every kind of boundary, and answers without a call go to '(unknown)'.
import t from 'tap';
import { join } from 'node:path';
import { npsReport, periodOf } from '../../src/kpi/nps.js';
import { openStore } from '../../src/store/index.js';

const DAY = 86_400_000;

t.test('period starts in SQL equal periodOf on boundaries and at random times', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'n.db') });
  t.teardown(() => store.close());
  const db = store.db;
  const times: number[] = [
    Date.UTC(2026, 10, 16), // a Monday, midnight
    Date.UTC(2026, 10, 16) - 1, // Sunday, last millisecond
    Date.UTC(2026, 10, 22, 23, 59, 59, 999),
    Date.UTC(2024, 1, 29, 12), // leap day
    Date.UTC(2026, 0, 1), // a Thursday, new year
    Date.UTC(2025, 11, 31, 23, 59, 59, 999),
    Date.UTC(1970, 0, 5), // the first Monday after the epoch
  ];
  let seed = 42;
  for (let i = 0; i < 300; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    times.push(Date.UTC(2020, 0, 1) + Math.floor((seed / 2 ** 31) * 8 * 365 * DAY));
  }
  const ins = db.prepare("INSERT INTO surveys (call_id, kind, score, received_at) VALUES (NULL, 'nps', 9, ?)");
  for (const at of times) ins.run(at);
  for (const period of ['day', 'week', 'month'] as const) {
    const got = npsReport(db, { by: 'site', period });
    const want = new Map<number, number>();
    for (const at of times) want.set(periodOf(at, period), (want.get(periodOf(at, period)) ?? 0) + 1);
    t.same(
      got.map((r) => [r.periodStart, r.responses]),
      [...want].sort((a, b) => a[0] - b[0]),
      period,
    );
  }
  t.same(npsReport(db, { by: 'agent', period: 'all' }).map((r) => [r.key, r.periodStart, r.responses, r.nps]), [['(unknown)', 0, times.length, 100]]);
});

t.test('CSAT averages and NPS bands per agent', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'n.db') });
  t.teardown(() => store.close());
  store.upsertCall({ callId: 'c1', ingest: 'siprec', externalId: 'x', startedAt: 1000, agentId: 'a1', queue: 'q' });
  store.flush();
  const ins = store.db.prepare("INSERT INTO surveys (call_id, kind, score, received_at) VALUES ('c1', ?, ?, ?)");
  for (const [kind, score] of [['nps', 6], ['nps', 7], ['nps', 8], ['nps', 9], ['csat', 1], ['csat', 2], ['csat', 2]] as const) ins.run(kind, score, 5000);
  t.same(npsReport(store.db, { by: 'queue', period: 'all' }), [
    { key: 'q', periodStart: 0, responses: 4, promoters: 1, passives: 2, detractors: 1, nps: 0, csatResponses: 3, csatAvg: 1.67 },
  ]);
});
