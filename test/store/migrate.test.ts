import t from 'tap';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadMigrations, migrate, openStore } from '../../src/store/index.js';
import { dbOf } from '../helpers/db.js';

const log = pino({ level: 'silent' });
const LATEST = loadMigrations().length;

t.test('the shipped migrations are found from src/ and numbered 1..N', async (t) => {
  const list = loadMigrations();
  t.ok(LATEST >= 2);
  t.same(list.map((m) => m.version), Array.from({ length: LATEST }, (_, i) => i + 1));
  t.equal(list[0].name, '001-initial.sql');
});

t.test('a fresh database migrates to the latest version; reopening is a no-op', async (t) => {
  const path = join(t.testdir(), 'e.db');
  const store = openStore({ path, log });
  t.equal(dbOf(store).pragma('user_version', { simple: true }), LATEST);
  t.equal(dbOf(store).pragma('journal_mode', { simple: true }), 'wal');
  t.equal(dbOf(store).pragma('foreign_keys', { simple: true }), 1);
  t.equal(dbOf(store).pragma('synchronous', { simple: true }), 1); // NORMAL
  const tables = dbOf(store).prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").pluck().all();
  t.ok(tables.includes('calls') && tables.includes('utterances') && tables.includes('imports'));
  t.ok(dbOf(store).prepare("SELECT 1 FROM sqlite_master WHERE name='calls_active'").get(), 'migration 002 applied');
  store.upsertCall({ callId: 'c1', ingest: 'import', externalId: 'x', startedAt: 1 });
  store.close();

  const db = new Database(path);
  t.same(migrate(db), { from: LATEST, to: LATEST, applied: [] });
  db.close();
  const again = openStore({ path, log });
  t.equal(again.getCall('c1')?.externalId, 'x', 'data kept across reopen');
  again.close();
});

t.test('a database newer than the code is refused, naming both versions, and left untouched', async (t) => {
  const path = join(t.testdir(), 'newer.db');
  const db = new Database(path);
  db.pragma(`user_version = ${LATEST + 7}`);
  db.close();
  t.throws(() => openStore({ path, log }), {
    code: 'EARSHOT_ERR_SCHEMA_NEWER',
    message: new RegExp(`version ${LATEST + 7}.*version ${LATEST}`),
  });
  const check = new Database(path);
  t.equal(check.pragma('user_version', { simple: true }), LATEST + 7);
  t.equal(check.prepare("SELECT count(*) FROM sqlite_master WHERE type='table'").pluck().get(), 0);
  t.equal(check.pragma('journal_mode', { simple: true }), 'delete', 'not even switched to WAL');
  check.close();
});

t.test('a failing migration leaves the database at the previous version', async (t) => {
  const dir = t.testdir({
    '001-a.sql': 'CREATE TABLE a (x INTEGER);',
    '002-b.sql': 'CREATE TABLE b (x INTEGER); INSERT INTO nope VALUES (1);',
  });
  const db = new Database(join(dir, 'm.db'));
  t.throws(() => migrate(db, { dir }), { code: 'SQLITE_ERROR' });
  t.equal(db.pragma('user_version', { simple: true }), 1);
  t.notOk(db.prepare("SELECT 1 FROM sqlite_master WHERE name='b'").get(), 'table b rolled back with its version');
  writeFileSync(join(dir, '002-b.sql'), 'CREATE TABLE b (x INTEGER);');
  t.same(migrate(db, { dir }), { from: 1, to: 2, applied: ['002-b.sql'] });
  db.close();
});

t.test('gaps, bad names and an empty directory are refused', async (t) => {
  const gap = t.testdir({ '001-a.sql': 'SELECT 1;', '003-c.sql': 'SELECT 1;' });
  const db = new Database(':memory:');
  t.throws(() => migrate(db, { dir: gap }), { code: 'EARSHOT_ERR_MIGRATIONS', message: /expected migration 2/ });
  const bad = t.testdir({ '001-a.sql': 'SELECT 1;', '2-B.sql': 'SELECT 1;' });
  t.throws(() => migrate(db, { dir: bad }), { code: 'EARSHOT_ERR_MIGRATIONS', message: /NNN-lowercase-name/ });
  const empty = t.testdir({});
  t.throws(() => migrate(db, { dir: empty }), { code: 'EARSHOT_ERR_MIGRATIONS', message: /no migration files/ });
  t.equal(db.pragma('user_version', { simple: true }), 0);
  db.close();
});
