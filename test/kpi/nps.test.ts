// npsReport groups in SQL: its day/week/month starts must be exactly periodOf()'s (UTC, weeks from
// Monday) for answers on every kind of boundary, and answers without a call go to '(unknown)'.
import t from 'tap';
import { join } from 'node:path';
import { npsReport, periodOf } from '../../src/kpi/nps.js';
import { openStore } from '../../src/store/index.js';
import { npsScore } from '../../src/call/nps.js';
import { dbOf } from '../helpers/db.js';

const DAY = 86_400_000;

t.test('period starts in SQL equal periodOf on boundaries and at random times', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'n.db') });
  t.teardown(() => store.close());
  const db = dbOf(store);
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
  const ins = dbOf(store).prepare("INSERT INTO surveys (call_id, kind, score, received_at) VALUES ('c1', ?, ?, ?)");
  for (const [kind, score] of [['nps', 6], ['nps', 7], ['nps', 8], ['nps', 9], ['csat', 1], ['csat', 2], ['csat', 2]] as const) ins.run(kind, score, 5000);
  t.same(npsReport(dbOf(store), { by: 'queue', period: 'all' }), [
    { key: 'q', periodStart: 0, responses: 4, promoters: 1, passives: 2, detractors: 1, nps: 0, csatResponses: 3, csatAvg: 1.67 },
  ]);
});

t.test('NPS by channel and for one channel: equal to the answers counted one by one, on any range', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'n.db') });
  t.teardown(() => store.close());
  const D0 = Date.UTC(2026, 10, 16);
  const channels = ['voice', 'chat', 'email'] as const;
  const agents = ['a1', 'a2'];
  for (let i = 0; i < 12; i++) store.upsertCall({ callId: `c${i}`, ingest: 'import', externalId: `x${i}`, startedAt: D0, agentId: agents[i % 2], queue: 'q', channel: channels[i % 3] });
  store.flush();
  const ins = dbOf(store).prepare('INSERT INTO surveys (call_id, kind, score, received_at) VALUES (?, ?, ?, ?)');
  const answers: { call: number | null; score: number; at: number }[] = [];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 400; i++) {
    const a = { call: rnd() < 0.1 ? null : Math.floor(rnd() * 12), score: Math.floor(rnd() * 11), at: D0 + Math.floor(rnd() * 10 * DAY) };
    answers.push(a);
    ins.run(a.call === null ? null : `c${a.call}`, 'nps', a.score, a.at);
  }
  ins.run('c1', 'csat', 4, D0 + DAY); // CSAT on a chat
  const channelOf = (a: { call: number | null }) => (a.call === null ? '(unknown)' : channels[a.call % 3]);
  const want = (list: typeof answers, key: (a: (typeof answers)[number]) => string) => {
    const m = new Map<string, number[]>();
    for (const a of list) m.set(key(a), [...(m.get(key(a)) ?? []), a.score]);
    return [...m].sort(([x], [y]) => x.localeCompare(y)).map(([k, s]) => [k, s.length, npsScore(s)]);
  };
  // Ranges on and off day boundaries, so both the day table and the partial-day path take part.
  for (const [from, to] of [[0, Number.MAX_SAFE_INTEGER], [D0 + 3 * DAY + 17, D0 + 7 * DAY - 5], [D0 + DAY, D0 + 4 * DAY]]) {
    const inRange = answers.filter((a) => a.at >= from && a.at < to);
    const got = npsReport(dbOf(store), { by: 'channel', period: 'all', from, to });
    t.same(got.map((r) => [r.key, r.responses, r.nps]), want(inRange, channelOf), `by channel [${from}, ${to})`);
    const chat = npsReport(dbOf(store), { by: 'agent', period: 'all', from, to, channel: 'chat' });
    t.same(chat.map((r) => [r.key, r.responses, r.nps]), want(inRange.filter((a) => channelOf(a) === 'chat'), (a) => agents[a.call! % 2]), `chat by agent [${from}, ${to})`);
    const site = npsReport(dbOf(store), { by: 'site', period: 'all', from, to })[0];
    t.equal(site.responses, got.reduce((n, r) => n + r.responses, 0), 'the channels add up to the site (day table and answers agree)');
  }
  t.same(npsReport(dbOf(store), { by: 'channel', period: 'all', channel: 'chat' }).map((r) => [r.key, r.csatResponses, r.csatAvg]), [['chat', 1, 4]]);
  t.same(npsReport(dbOf(store), { by: 'site', period: 'all', channel: 'sms' }), [], 'a channel without answers');
});
