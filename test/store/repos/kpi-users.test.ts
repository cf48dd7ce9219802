import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStore } from '../../../src/store/index.js';
import { createUser } from '../../../src/web/auth/users.js';
import { dbOf } from '../../helpers/db.js';

const log = pino({ level: 'silent' });

t.test("kpi.callKpis: unknown call, a call without final KPIs, a call's stored KPIs", async (t) => {
  const store = openStore({ path: join(t.testdir(), 'k.db'), log });
  t.teardown(() => store.close());
  store.upsertCall({ callId: 'c1', ingest: 'import', externalId: 'x1', startedAt: 1000 });
  store.upsertCall({ callId: 'c2', ingest: 'import', externalId: 'x2', startedAt: 1000 });
  store.endCall('c2', 'ended', 2000, { kpi: { talkRatio: 0.5 } });
  store.flush();
  t.equal(store.repos.kpi.callKpis('nope'), undefined);
  t.equal(store.repos.kpi.callKpis('c1'), null);
  t.same(JSON.parse(store.repos.kpi.callKpis('c2')!), { talkRatio: 0.5 });
});

t.test('users.count follows the users table', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'u.db'), log });
  t.teardown(() => store.close());
  t.equal(store.repos.users.count(), 0);
  createUser(dbOf(store), { username: 'ann', role: 'admin', password: 'correct horse battery' });
  t.equal(store.repos.users.count(), 1);
});
