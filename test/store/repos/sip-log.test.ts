// The per-call SIP log repository on a real SQLite file: bounded per dialog, rows logged before the
// call existed join it, and the retention purge removes them with their call (or, never linked, by age).
import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { validateConfig } from '../../../src/config/load.js';
import { openStore, type SipLogEntry } from '../../../src/store/index.js';
import { purge } from '../../../src/store/retention.js';
import { dbOf } from '../../helpers/db.js';

const log = pino({ level: 'silent' });
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12);
const entry = (sipCallId: string, at: number, o: Partial<SipLogEntry> = {}): SipLogEntry => ({ sipCallId, at, dir: 'in', method: 'INVITE', peer: '127.0.0.1:5060', transport: 'udp', ...o });

t.test('rows per dialog are capped; the overflow is reported, other dialogs unaffected', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'a.db'), log });
  t.teardown(() => store.close());
  const repo = store.repos.sipLog;
  const flood = Array.from({ length: 250 }, (_, i) => entry('loop', i, { method: 'OPTIONS' }));
  t.equal(repo.append(flood, 200), 50, '50 past the cap dropped');
  t.equal(repo.append([entry('loop', 999)], 200), 1, 'still capped in a later batch');
  t.equal(repo.append([entry('other', 1)], 200), 0);
  t.equal(repo.ofDialog('loop').length, 200);
  t.equal(repo.ofDialog('other').length, 1);
});

t.test('early rows join the call; ofCall includes unlinked rows of the dialog; callOfDialog finds the call', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'b.db'), log });
  t.teardown(() => store.close());
  const repo = store.repos.sipLog;
  repo.append([entry('sip-1', 1), entry('sip-1', 2, { dir: 'out', status: 100 })]);
  repo.append([entry('sip-1', 3, { dir: 'out', status: 200, reason: 'OK', callId: 'call-1' })]);
  repo.append([entry('sip-1', 9, { method: 'BYE' })]); // after the call closed: not linked by the writer
  t.same(repo.ofDialog('sip-1').map((r) => r.callId), ['call-1', 'call-1', 'call-1', undefined]);
  t.same(repo.ofCall('call-1', 'sip-1').map((r) => r.at), [1, 2, 3, 9]);
  store.upsertCall({ callId: 'call-1', ingest: 'siprec', externalId: 'sip-1', startedAt: 1 });
  store.flush();
  t.equal(repo.callOfDialog('sip-1'), 'call-1');
  t.equal(repo.callOfDialog('nope'), undefined);
});

t.test('retention: SIP log rows go with their call; rows of dialogs without a call go after callsDays', async (t) => {
  const path = join(t.testdir(), 'c.db');
  const store = openStore({ path, log });
  t.teardown(() => store.close());
  const db = dbOf(store);
  const call = db.prepare("INSERT INTO calls (id, ingest, external_id, started_at) VALUES (?, 'siprec', ?, ?)");
  call.run('old', 'sip-old', NOW - 31 * DAY);
  call.run('new', 'sip-new', NOW - DAY);
  const repo = store.repos.sipLog;
  repo.append([entry('sip-old', NOW - 31 * DAY, { callId: 'old' }), entry('sip-new', NOW - DAY, { callId: 'new' })]);
  repo.append([entry('rejected-old', NOW - 30 * DAY - 1, { status: 488 }), entry('rejected-edge', NOW - 30 * DAY, { status: 420 })]);
  const retention = validateConfig({ retention: { callsDays: 30 } }).retention;
  const counts = purge(db, retention, NOW, { batchSize: 1 });
  t.equal(counts.sip_log, 2);
  t.same(repo.ofDialog('sip-old'), [], 'purged with its call');
  t.equal(repo.ofDialog('sip-new').length, 1);
  t.same(repo.ofDialog('rejected-old'), [], 'never linked, past callsDays');
  t.equal(repo.ofDialog('rejected-edge').length, 1, 'exactly at the cutoff: kept');
});
