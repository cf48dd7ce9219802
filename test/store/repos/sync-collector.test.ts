import t from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SyncCollectorRepo } from '../../../src/store/repos/index.js';

const batch = (id: string, payload = '{"v":1}') => ({ batchId: id, siteId: 'site-a', from: 0, to: 3_600_000, receivedAt: 5, payload });

t.test('the collector file: created with its table, each batch stored once, kept across reopening', async (t) => {
  const path = join(t.testdir(), 'collector.db');
  const repo = SyncCollectorRepo.open(path);
  t.equal(repo.insert(batch('b1')), true);
  t.equal(repo.insert(batch('b1', '{"v":1,"other":true}')), false, 'a repeat is not stored');
  t.equal(repo.insert(batch('b2')), true);
  repo.close();
  const again = SyncCollectorRepo.open(path); // CREATE ... IF NOT EXISTS: reopening keeps the rows
  t.equal(again.insert(batch('b2')), false);
  again.close();
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  t.same(db.prepare('SELECT batch_id, site_id, period_from, period_to, payload FROM batches ORDER BY batch_id').all(), [
    { batch_id: 'b1', site_id: 'site-a', period_from: 0, period_to: 3_600_000, payload: '{"v":1}' },
    { batch_id: 'b2', site_id: 'site-a', period_from: 0, period_to: 3_600_000, payload: '{"v":1}' },
  ], 'the first copy of b1 is kept');
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
});

t.test('a file that is not a database is refused at open', async (t) => {
  const dir = t.testdir({ 'junk.db': 'this is not sqlite '.repeat(100) });
  t.throws(() => SyncCollectorRepo.open(join(dir, 'junk.db')), { code: 'SQLITE_NOTADB' });
});
