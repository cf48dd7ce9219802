// The web's repositories (users/sessions/audit, dashboard, reports, rule packs): statements are
// prepared on first use and once, so a connection on an older schema still builds them, and one
// repository serves each connection.
import t, { type Test } from 'tap';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/store/index.js';
import { DashboardRepo, ReportsRepo, RulePacksRepo, UsersRepo } from '../../../src/store/repos/index.js';

const MIGRATIONS = fileURLToPath(new URL('../../../src/store/migrations/', import.meta.url));

/** A database at schema version 4: before the dashboard tables (005) and channels (008). */
function oldDb(t: Test, dir: string): Database.Database {
  for (const f of readdirSync(MIGRATIONS).filter((f) => /^00[1-4]-/u.test(f))) copyFileSync(join(MIGRATIONS, f), join(dir, f));
  const db = new Database(join(dir, 'old.db'));
  t.equal(migrate(db, { dir }).to, 4);
  return db;
}

/** Counts the statements a connection prepares. */
function counting(db: Database.Database): { n: number } {
  const c = { n: 0 };
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => (c.n++, prepare(sql))) as typeof db.prepare;
  return c;
}

t.test('an older schema still builds every web repository; only a read of a missing table fails', async (t) => {
  const db = oldDb(t, t.testdir());
  t.teardown(() => db.close());
  const c = counting(db);
  const repos = { users: new UsersRepo(db), dashboard: new DashboardRepo(db), reports: new ReportsRepo(db), rulePacks: new RulePacksRepo(db) };
  t.equal(c.n, 0, 'nothing prepared at construction');
  t.equal(repos.users.count(), 0);
  t.same(repos.rulePacks.packs(), []);
  t.same(repos.reports.list({ limit: 5 }), [], 'reports (migration 004) are there');
  t.throws(() => repos.reports.categories({ from: 0, to: 3_600_000 * 3 }), /no such table: category_hours/u, 'a 005 table: fails when read, not at open');
  t.throws(() => repos.dashboard.listCalls({ channel: 'chat' }, { limit: 10, offset: 0 }, false), /no such column: c.channel/u);
});

t.test('each statement is prepared once, per SQL text; one repository per connection', async (t) => {
  const dir = t.testdir();
  const db = new Database(join(dir, 'new.db'));
  t.teardown(() => db.close());
  migrate(db);
  const c = counting(db);
  const dash = DashboardRepo.for(db);
  t.equal(DashboardRepo.for(db), dash, 'the same repository for the same connection');
  t.not(DashboardRepo.for(new Database(':memory:')), dash, 'another for another connection');
  const page = { limit: 10, offset: 0 };
  dash.listCalls({ channel: 'chat' }, page, false);
  const one = c.n;
  t.equal(one, 1);
  dash.listCalls({ channel: 'voice' }, page, false);
  t.equal(c.n, one, 'same filters, other values: no new statement');
  dash.listCalls({ channel: 'voice', agent: 'a1' }, page, false);
  t.equal(c.n, one + 1, 'another combination of filters: one more');
  dash.listCalls({ agent: 'a2', channel: 'sms' }, page, false);
  t.equal(c.n, one + 1, 'filter order does not matter');

  const users = UsersRepo.for(db);
  const id = users.insert({ username: 'ana', role: 'viewer', passwordHash: 'x', createdAt: 1 });
  users.insertSession({ sid: 's1', userId: id, csrf: 'c', createdAt: 1, expiresAt: 100 });
  users.insertSession({ sid: 's2', userId: id, csrf: 'c', createdAt: 1, expiresAt: 100 });
  t.match(users.session('s1', 50), { id, username: 'ana', role: 'viewer', csrf: 'c', expires_at: 100 });
  t.equal(users.session('s1', 100), undefined, 'expired at expires_at');
  t.equal(users.setRole(id, 'admin'), 2, 'a role change ends both sessions');
  t.equal(users.session('s2', 50), undefined);
  t.equal(users.byName('ana')?.role, 'admin');
  users.recordFailure(id, 2, 500);
  t.equal(users.lockedUntil(id), null, 'one failure of two: not locked');
  users.recordFailure(id, 2, 500);
  t.equal(users.lockedUntil(id), 500, 'the second locks');
  users.expireLock(id, 499);
  t.equal(users.lockedUntil(id), 500, 'not yet run out');
  users.expireLock(id, 500);
  t.match(users.byName('ana'), { failed_logins: 0, locked_until: null }, 'a lock that ran out takes its failures');

  const packs = RulePacksRepo.for(db);
  t.match(packs.save({ id: 'p', kind: 'category', text: 'rules: []', user: 'ana', now: 5 }), { id: 'p', version: 1, updatedBy: 'ana', updatedAt: 5 });
  t.match(packs.save({ id: 'p', kind: 'category', text: 'rules: []\n', user: 'bo', now: 6 }), { version: 2, body: 'rules: []\n', updatedBy: 'bo' });
  packs.save({ id: 'alarm/x', kind: 'alarm', text: 'rules: []', user: 'bo', now: 7 });
  t.same(packs.packs().map((p) => p.id), ['p'], 'alarm rule files are not analysis packs');
});
