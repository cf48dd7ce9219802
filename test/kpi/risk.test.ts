// The high-risk pool: who is in it and why, and the API's reuse of a pool computed moments ago.
import t from 'tap';
import { join } from 'node:path';
import { highRiskCustomers } from '../../src/kpi/risk.js';
import { openStore } from '../../src/store/index.js';
import { dbOf } from '../helpers/db.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 20);

t.test('pool members, reasons and order; a cached pool is reused only when asked for', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'r.db') });
  t.teardown(() => store.close());
  let n = 0;
  const call = (hash: string, at: number, negativeEnd: boolean, churn = false) => {
    const callId = `c${n++}`;
    store.upsertCall({ callId, ingest: 'siprec', externalId: callId, startedAt: at, customerHash: hash });
    if (churn) store.addCallEvent({ callId, kind: 'category', tMs: 0, data: { rule: 'churn-threat' } });
    store.endCall(callId, 'ended', at + 60_000, { kpi: { short: false, sentiment: { negativeEnd } } });
    store.flush();
    return callId;
  };
  call('neg', NOW - DAY, true);
  call('neg', NOW - 2 * DAY, false);
  call('churn', NOW - DAY, false, true);
  const d = call('detractor', NOW - 3 * DAY, false);
  call('calm', NOW - DAY, false);
  call('old', NOW - 40 * DAY, true);
  dbOf(store).prepare("INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, 'detractor', 'nps', 2, ?)").run(d, NOW - DAY);
  const pool = highRiskCustomers(dbOf(store), { since: NOW - 30 * DAY });
  t.same(pool.map((p) => [p.customerHash, p.score, p.calls, p.reasons]), [
    ['detractor', 3, 1, ['detractor']],
    ['churn', 2, 1, ['churn-intent']],
    ['neg', 1, 2, ['negative-calls']],
  ]);
  call('new', NOW - DAY, true);
  t.equal(highRiskCustomers(dbOf(store), { since: NOW - 30 * DAY }).length, 4, 'computed afresh by default');
  const first = highRiskCustomers(dbOf(store), { since: NOW - 30 * DAY, maxAgeMs: 60_000, now: NOW });
  call('newer', NOW - DAY, true);
  t.equal(highRiskCustomers(dbOf(store), { since: NOW - 30 * DAY + 1000, maxAgeMs: 60_000, now: NOW + 1000 }).length, first.length, 'reused within maxAgeMs');
  t.equal(highRiskCustomers(dbOf(store), { since: NOW - 30 * DAY, maxAgeMs: 60_000, now: NOW + 61_000 }).length, first.length + 1, 'recomputed after it');
  t.equal(highRiskCustomers(dbOf(store), { since: NOW - 30 * DAY, limit: 2 }).length, 2);
});
