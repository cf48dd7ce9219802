// The KPI stage's repositories (rollups, surveys/NPS, risk) on real SQLite files: what they store
// and read, that a connection to an older schema still opens them (statements are prepared on first
// use), that each statement is prepared once per connection, and that the reads run on a read-only
// connection (the read pool's workers).
import t from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { openStore } from '../../../src/store/index.js';
import { RiskRepo } from '../../../src/store/repos/index.js';
import { dbOf } from '../../helpers/db.js';

const log = pino({ level: 'silent' });
const DAY = 86_400_000;
const D0 = Date.UTC(2026, 10, 16);


t.test('risk: root-cause reads and the pool by customer hash; the pool on a read-only connection', async (t) => {
  const path = join(t.testdir(), 'k.db');
  const store = openStore({ path, log });
  t.teardown(() => store.close());
  const r = store.repos.risk;
  store.upsertCall({ callId: 'c1', ingest: 'import', externalId: 'c1', startedAt: D0, customerHash: 'h1', agentId: 'al' });
  store.upsertCall({ callId: 'c2', ingest: 'import', externalId: 'c2', startedAt: D0 + 1000, customerHash: 'h1' });
  store.upsertCall({ callId: 'c3', ingest: 'import', externalId: 'c3', startedAt: D0 + 2000, customerHash: 'h2' });
  store.flush();
  store.endCall('c1', 'ended', D0 + 60_000, { kpi: { sentiment: { negativeEnd: true } } });
  store.endCall('c2', 'ended', D0 + 60_000, { kpi: { sentiment: { negativeEnd: false } } });
  store.endCall('c3', 'ended', D0 + 60_000, { kpi: { sentiment: { negativeEnd: false } } });
  store.flush();
  const ev = dbOf(store).prepare("INSERT INTO call_events (call_id, kind, t_ms, data) VALUES (?, ?, 0, ?)");
  ev.run('c2', 'category', JSON.stringify({ category: 'churn-threat' }));
  ev.run('c2', 'category', JSON.stringify({ rule: 'refund' }));
  ev.run('c2', 'category', 'not json');
  store.repos.surveys.insert({ callId: 'c3', customerHash: 'h2', kind: 'nps', score: 6, receivedAt: D0 + 3000, source: 'api' });
  store.repos.surveys.insert({ callId: 'c1', customerHash: 'h1', kind: 'nps', score: 9, receivedAt: D0 + 4000, source: 'api' });
  t.same(r.lastNps('h1', Number.MAX_SAFE_INTEGER), { score: 9, received_at: D0 + 4000 });
  t.equal(r.lastNps('h1', D0), undefined);
  t.same(r.recentCalls('h1', Number.MAX_SAFE_INTEGER, 1).map((c) => c.id), ['c2']);
  t.same(r.categories('c2').sort((a, b) => String(a.id).localeCompare(String(b.id))), [{ id: 'churn-threat', n: 1 }, { id: null, n: 1 }, { id: 'refund', n: 1 }]);
  t.same(r.alarms('c1'), []);
  const pool = r.pool(D0 - DAY).sort((a, b) => a.h.localeCompare(b.h));
  t.same(pool, [
    { h: 'h1', calls: 2, last_call: D0 + 1000, negative: 1, churn: 1, nps: 9 },
    { h: 'h2', calls: 1, last_call: D0 + 2000, negative: 0, churn: 0, nps: 6 },
  ], 'h1: a negative end and a churn category; h2: a detractor answer (6 < 7)');
  t.same(r.pool(D0 + DAY), [], 'nothing since then');
  const ro = new Database(path, { readonly: true, fileMustExist: true });
  t.teardown(() => ro.close());
  t.same(RiskRepo.for(ro).pool(D0 - DAY).sort((a, b) => a.h.localeCompare(b.h)), pool);
});
