import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStore } from '../../../src/store/index.js';

const log = pino({ level: 'silent' });

t.test('the escalation scan reads only open, unescalated alarms of the rules that escalate', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'a.db'), log });
  t.teardown(() => store.close());
  store.upsertCall({ callId: 'c1', ingest: 'import', externalId: 'x1', startedAt: 1000 });
  const raise = (rule: string, raisedAt: number) =>
    store.insertAlarm({ callId: 'c1', rule, severity: 'warning', state: 'open', message: 'm', raisedAt } as Parameters<typeof store.insertAlarm>[0]);
  const a = raise('slow', 1000);
  raise('other', 1000);
  const late = raise('slow', 9000);
  const acked = raise('slow', 1000);
  store.transitionAlarm(acked.id, 'acked', 'sup');
  const done = raise('slow', 1000);
  store.escalateAlarm(done.id, 2000);
  t.same(store.repos.alarms.unescalated(['slow'], 5000).map((x) => x.id), [a.id]);
  t.same(store.repos.alarms.unescalated(['slow', 'other'], 5000).map((x) => x.rule), ['slow', 'other']);
  t.same(store.repos.alarms.unescalated([], 5000), []);
  t.same(store.repos.alarms.unescalated(['slow'], 9000).map((x) => x.id), [a.id, late.id]);
});

t.test('raisedSince: an agent alarm of the day is found, another agent or an earlier day is not', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'b.db'), log });
  t.teardown(() => store.close());
  store.upsertCall({ callId: 'c1', ingest: 'import', externalId: 'x1', startedAt: 1000 });
  store.insertAlarm({ callId: 'c1', agentId: 'ag1', rule: 'daily', severity: 'info', state: 'open', message: 'm', raisedAt: 5000 } as Parameters<typeof store.insertAlarm>[0]);
  t.ok(store.repos.alarms.raisedSince('daily', 'ag1', 4000));
  t.notOk(store.repos.alarms.raisedSince('daily', 'ag1', 6000));
  t.notOk(store.repos.alarms.raisedSince('daily', 'ag2', 4000));
  t.notOk(store.repos.alarms.raisedSince('other', 'ag1', 4000));
});

t.test("agentCallsSince: finished calls with an agent and a summary, from the day's start", async (t) => {
  const store = openStore({ path: join(t.testdir(), 'c.db'), log });
  t.teardown(() => store.close());
  const call = (id: string, startedAt: number, agentId?: string) => store.upsertCall({ callId: id, ingest: 'import', externalId: id, startedAt, agentId });
  call('old', 1000, 'ag1');
  call('today', 5000, 'ag1');
  call('open', 5000, 'ag1');
  call('noagent', 5000);
  const kpi = { kpi: { categories: { refund: 2 }, sentiment: { negativeSwing: true } } };
  for (const id of ['old', 'today', 'noagent']) store.endCall(id, 'ended', 6000, kpi);
  store.flush();
  const rows = store.repos.alarms.agentCallsSince(4000);
  t.same(rows, [{ agent_id: 'ag1', cats: '{"refund":2}', swing: 1 }]);
});
