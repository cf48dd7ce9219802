// The KPI stage's repositories (rollups, surveys/NPS, risk) on real SQLite files: what they store
// and read, that a connection to an older schema still opens them (statements are prepared on first
// use), that each statement is prepared once per connection, and that the reads run on a read-only
// connection (the read pool's workers).
import t from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { openStore } from '../../../src/store/index.js';
import { SurveysRepo } from '../../../src/store/repos/index.js';
import { countPrepares } from '../helpers/prepares.js';
import { dbOf } from '../../helpers/db.js';

const log = pino({ level: 'silent' });
const DAY = 86_400_000;
const D0 = Date.UTC(2026, 10, 16);


t.test('surveys: answers stored, NPS day groups by every key and per channel, samples; reads on a read-only connection', async (t) => {
  const path = join(t.testdir(), 's.db');
  const store = openStore({ path, log });
  t.teardown(() => store.close());
  const s = store.repos.surveys;
  store.upsertCall({ callId: 'v', ingest: 'import', externalId: 'v', startedAt: D0, agentId: 'al', queue: 'q1', customerHash: 'h1' });
  store.upsertCall({ callId: 'c', ingest: 'conversation', externalId: 'c', startedAt: D0, agentId: 'bo', queue: 'q1', channel: 'chat' });
  store.flush();
  store.endCall('v', 'ended', D0 + 60_000, { kpi: { durationMs: 60_000 } });
  store.flush();
  const prepares = countPrepares(dbOf(store));
  const add = (callId: string | null, score: number, at: number, kind = 'nps') => s.insert({ callId, customerHash: null, kind, score, receivedAt: at, source: 'api' });
  t.equal(add('v', 10, D0 + 10), 1);
  add('v', 3, D0 + DAY + 5);
  add('c', 9, D0 + 20);
  add('c', 8, D0 + DAY + 7);
  add(null, 0, D0 + 30);
  add('c', 4, D0 + 40, 'csat');
  const rows = (by: 'site' | 'agent' | 'queue' | 'channel', from: number, to: number, channel?: string) =>
    s.npsDays(by, from, to, channel).filter((r) => r.kind === 'nps').map((r) => [r.day, r.key, r.n, r.promoters, r.passives, r.detractors]).sort();
  t.same(rows('channel', 0, D0 + 2 * DAY), [[D0, '(unknown)', 1, 0, 0, 1], [D0, 'chat', 1, 1, 0, 0], [D0, 'voice', 1, 1, 0, 0], [D0 + DAY, 'chat', 1, 0, 1, 0], [D0 + DAY, 'voice', 1, 0, 0, 1]].sort());
  // Whole days (survey_days) here, partial days (the answers) below: the same groups.
  t.same(rows('agent', D0, D0 + 2 * DAY), [[D0, '(unknown)', 1, 0, 0, 1], [D0, 'al', 1, 1, 0, 0], [D0, 'bo', 1, 1, 0, 0], [D0 + DAY, 'al', 1, 0, 0, 1], [D0 + DAY, 'bo', 1, 0, 1, 0]].sort());
  t.same(rows('agent', D0 + 15, D0 + DAY + 6), [[D0, '(unknown)', 1, 0, 0, 1], [D0, 'bo', 1, 1, 0, 0], [D0 + DAY, 'al', 1, 0, 0, 1]].sort(), 'partial days at both ends');
  t.same(rows('queue', D0, D0 + 2 * DAY, 'chat'), [[D0, 'q1', 1, 1, 0, 0], [D0 + DAY, 'q1', 1, 0, 1, 0]], 'one channel');
  t.same(rows('site', 0, Number.MAX_SAFE_INTEGER, 'sms'), []);
  const csat = s.npsDays('channel', 0, D0 + DAY, 'chat').find((r) => r.kind === 'csat');
  t.match(csat, { key: 'chat', n: 1, total: 4 });
  t.same(s.npsSamples(10), [{ id: 'v', kpi: '{"durationMs":60000}', score: 3 }], 'the latest answer of the one call with KPIs');
  const n = prepares();
  rows('channel', 0, D0 + 2 * DAY);
  rows('queue', D0, D0 + 2 * DAY, 'chat');
  s.npsSamples(5);
  add('v', 7, D0 + 50);
  t.equal(prepares(), n, 'no statement is prepared twice');

  store.flush();
  const ro = new Database(path, { readonly: true, fileMustExist: true });
  t.teardown(() => ro.close());
  const r2 = SurveysRepo.for(ro);
  t.not(r2, s);
  t.same(r2.npsDays('channel', 0, D0 + 2 * DAY), s.npsDays('channel', 0, D0 + 2 * DAY), 'the same groups on a read-only connection');
  t.same(r2.npsSamples(10), s.npsSamples(10));
  t.throws(() => r2.insert({ callId: null, customerHash: null, kind: 'nps', score: 1, receivedAt: 1, source: 'api' }), { code: 'SQLITE_READONLY' });
});
