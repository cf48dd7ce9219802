// The KPI stage's repositories (rollups here, surveys/NPS and risk beside) on real SQLite files: what they store
// and read, that a connection to an older schema still opens them (statements are prepared on first
// use), that each statement is prepared once per connection, and that the reads run on a read-only
// connection (the read pool's workers).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { openStore } from '../../../src/store/index.js';
import { KpiRollupsRepo, RiskRepo, SurveysRepo } from '../../../src/store/repos/index.js';
import { countPrepares } from '../helpers/prepares.js';
import { dbOf } from '../../helpers/db.js';

const log = pino({ level: 'silent' });
const DAY = 86_400_000;
const D0 = Date.UTC(2026, 10, 16);


t.test('a connection to schema 1 opens the repositories; a read of a later table fails only when it runs', async (t) => {
  const db = new Database(join(t.testdir(), 'old.db'));
  t.teardown(() => db.close());
  db.exec(readFileSync(new URL('../../../src/store/migrations/001-initial.sql', import.meta.url), 'utf8'));
  const rollups = KpiRollupsRepo.for(db);
  const surveys = SurveysRepo.for(db);
  const risk = RiskRepo.for(db);
  t.equal(KpiRollupsRepo.for(db), rollups, 'one repository per connection');
  t.throws(() => risk.pool(0), /no such table: call_facts/u);
  t.throws(() => surveys.npsSamples(10), /no such table: call_facts/u);
  t.throws(() => surveys.npsDays('channel', 0, 1), /no such column: c.channel/u);
  // Schema-1 tables answer.
  db.prepare("INSERT INTO calls (id, ingest, external_id, started_at, customer_hash) VALUES ('c1', 'import', 'x', 1000, 'h1')").run();
  t.equal(surveys.callCustomer('c1'), 'h1');
  t.equal(surveys.latestCallOf('h1', 2000, 0), 'c1');
});

t.test('rollups: aggregate per dimension, put, replace, remove and query', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'r.db'), log });
  t.teardown(() => store.close());
  const r = store.repos.kpiRollups;
  t.equal(r, KpiRollupsRepo.for(dbOf(store)), 'store.repos is the connection\'s repository');
  const prepares = countPrepares(dbOf(store));
  const calls = [
    { id: 'a', agent: 'al', queue: 'q1', cust: 'h1', at: D0 + 1000, ms: 60_000, short: false },
    { id: 'b', agent: 'al', queue: 'q2', cust: 'h1', at: D0 + 5000, ms: 120_000, short: false },
    { id: 'c', agent: 'bo', queue: 'q1', cust: null, at: D0 + 9000, ms: 2000, short: true },
  ];
  for (const c of calls) store.upsertCall({ callId: c.id, ingest: 'import', externalId: c.id, startedAt: c.at, agentId: c.agent, queue: c.queue, ...(c.cust ? { customerHash: c.cust } : {}) });
  store.flush();
  for (const c of calls) store.endCall(c.id, 'ended', c.at + c.ms, { kpi: { short: c.short, sentiment: { customerAvg: 0.5 } } });
  store.flush();
  t.same(r.call('b'), { started_at: D0 + 5000, agent_id: 'al', queue: 'q2' });
  t.equal(r.call('nope'), undefined);
  const q = { from: D0, to: D0 + DAY, windowMs: 7 * DAY };
  t.match(r.aggregate('site', { ...q, value: 'x' }), { calls: 3, counted: 2, aht_ms: 90_000, alarms: 0, known: 2, repeats: 1 });
  t.match(r.aggregate('agent', { ...q, value: 'al' }), { calls: 2, counted: 2 });
  t.match(r.aggregate('queue', { ...q, value: 'q1' }), { calls: 2, counted: 1, aht_ms: 60_000 });
  t.match(r.aggregate('queue', { ...q, value: 'none' }), { calls: 0 });
  r.put('day', D0, 'queue', 'q1', '{"calls":2}');
  r.put('day', D0, 'queue', 'q1', '{"calls":3}');
  r.put('day', D0, 'queue', 'q2', '{"calls":1}');
  r.put('hour', D0, 'queue', 'q1', '{"calls":9}');
  t.same(r.query({ bucket: 'day', dim: 'queue', from: D0, to: D0 + DAY }).map((x) => [x.dim_value, x.metrics]), [['q1', '{"calls":3}'], ['q2', '{"calls":1}']]);
  t.same(r.query({ bucket: 'day', dim: 'queue', from: D0, to: D0 + DAY, dimValue: 'q2' }).length, 1);
  r.put('day', D0, 'queue', 'q1', null);
  t.same(r.query({ bucket: 'day', dim: 'queue', from: D0, to: D0 + DAY }).map((x) => x.dim_value), ['q2']);
  const after = prepares();
  r.aggregate('agent', { ...q, value: 'bo' });
  r.put('day', D0, 'site', 's', '{}');
  r.query({ bucket: 'day', dim: 'site', from: 0, to: D0 + DAY });
  t.equal(prepares(), after, 'no statement is prepared twice');
  t.throws(() => r.transaction(() => {
    r.put('day', D0, 'site', 's', '{"gone":true}');
    throw new Error('boom');
  }), /boom/u);
  t.same(r.query({ bucket: 'day', dim: 'site', from: 0, to: D0 + DAY }).map((x) => x.metrics), ['{}'], 'a failed transaction is rolled back');
});
