// Migration 010 on a real SQLite file: the escalation scan and the alarm purge read through their
// partial indexes (EXPLAIN QUERY PLAN), the scan returns only open, unescalated alarms of the rules
// asked for, and retention.alarmsDays purges resolved alarms while open and acked ones stay.
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { validateConfig } from '../../src/config/load.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { openStore } from '../../src/store/index.js';
import { UNESCALATED_SQL } from '../../src/store/repos/alarms.js';
import { PURGE_ALARMS_SQL, purge } from '../../src/store/retention.js';
import { dbOf } from '../helpers/db.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1, 12);

function open(t: Test) {
  const store = openStore({ path: join(t.testdir(), 'earshot.db'), metrics: createMetrics({ defaults: false }), recover: false });
  t.teardown(() => store.close());
  return store;
}

/** Many alarms of several rules and states, as the table looks after months of running (calls long purged). */
function fill(store: ReturnType<typeof open>, n = 3000) {
  const db = dbOf(store);
  const ins = db.prepare(`INSERT INTO alarms (call_id, rule, severity, state, message, raised_at, resolved_at, escalated_at) VALUES (NULL, ?, 'warning', ?, 'm', ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const rule = `rule-${i % 10}`;
      const raised = NOW - (i % 500) * DAY;
      // Most alarms are resolved, some acked, a few open; some of the open ones already escalated.
      const state = i % 20 === 0 ? 'open' : i % 7 === 0 ? 'acked' : 'resolved';
      ins.run(rule, state, raised, state === 'resolved' ? raised + 3_600_000 : null, state === 'open' && i % 40 === 0 ? raised + 60_000 : null);
    }
  })();
  db.pragma('optimize');
  db.exec('ANALYZE');
}

const plan = (store: ReturnType<typeof open>, sql: string, ...args: unknown[]) =>
  (dbOf(store).prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join('\n');

t.test('the escalation scan and the alarm purge use their partial indexes', async (t) => {
  const store = open(t);
  t.ok(dbOf(store).prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'alarms_escalation'`).get(), 'migration 011 made alarms_escalation');
  t.ok(dbOf(store).prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'alarms_resolved'`).get(), 'and alarms_resolved');
  // Empty table (no statistics) and a filled, analysed one: the planner picks the index in both.
  for (const filled of [false, true]) {
    if (filled) fill(store);
    const scan = plan(store, UNESCALATED_SQL, NOW, JSON.stringify(['rule-1', 'rule-2']));
    t.match(scan, /USING INDEX alarms_escalation/u, `escalation scan (${filled ? 'filled' : 'empty'}): ${scan}`);
    t.notMatch(scan, /SCAN alarms\b(?! USING)/u, 'no full scan of alarms');
    const del = plan(store, PURGE_ALARMS_SQL, NOW - 30 * DAY, 2000);
    t.match(del, /USING (COVERING )?INDEX alarms_resolved/u, `purge (${filled ? 'filled' : 'empty'}): ${del}`);
  }
});

t.test('the scan reads only open, unescalated alarms of the rules asked for', async (t) => {
  const store = open(t);
  fill(store);
  const rows = store.repos.alarms.unescalated(['rule-0', 'rule-4'], NOW - 10 * DAY);
  const expected = dbOf(store)
    .prepare(`SELECT id FROM alarms WHERE state = 'open' AND escalated_at IS NULL AND rule IN ('rule-0', 'rule-4') AND raised_at <= ? ORDER BY id`)
    .all(NOW - 10 * DAY) as { id: number }[];
  t.ok(expected.length > 10, `${expected.length} candidates`);
  t.same(rows.map((r) => r.id), expected.map((r) => r.id));
  t.ok(rows.every((r) => r.state === 'open' && r.escalatedAt === undefined && (r.rule === 'rule-0' || r.rule === 'rule-4')));
});

t.test('retention.alarmsDays purges old resolved alarms; open and acked alarms stay however old', async (t) => {
  const store = open(t);
  fill(store);
  const db = dbOf(store);
  const count = (where: string) => (db.prepare(`SELECT count(*) AS n FROM alarms WHERE ${where}`).get() as { n: number }).n;
  const before = { open: count(`state = 'open'`), acked: count(`state = 'acked'`), resolved: count(`state = 'resolved'`) };
  const cutoff = NOW - 30 * DAY;
  const due = count(`state = 'resolved' AND resolved_at < ${cutoff}`);
  t.ok(due > 100 && due < before.resolved, `${due} of ${before.resolved} resolved alarms are past 30 days`);
  const retention = validateConfig({ retention: { alarmsDays: 30 } }).retention;
  t.equal(validateConfig({}).retention.alarmsDays, 365, 'a year by default');
  const counts = purge(db, retention, NOW, { batchSize: 100 });
  t.equal(counts.alarms, due, 'every resolved alarm past the window, in batches');
  t.equal(count(`state = 'open'`), before.open, 'open alarms stay');
  t.equal(count(`state = 'acked'`), before.acked, 'acked alarms stay');
  t.equal(count(`state = 'resolved'`), before.resolved - due, 'recently resolved alarms stay');
  t.equal(count(`state = 'resolved' AND resolved_at < ${cutoff}`), 0);
  t.ok(count(`state IN ('open', 'acked') AND raised_at < ${cutoff}`) > 50, 'among them open and acked alarms raised long before the window');
  // An old alarm resolved just inside the window stays (strictly older than N days goes).
  const edge = Number(db.prepare(`INSERT INTO alarms (rule, severity, state, message, raised_at, resolved_at) VALUES ('r', 'info', 'resolved', 'm', 0, ?)`).run(cutoff).lastInsertRowid);
  t.equal(purge(db, retention, NOW).alarms, 0);
  t.ok(db.prepare('SELECT 1 FROM alarms WHERE id = ?').get(edge), 'resolved exactly N days ago stays');
  t.equal(purge(db, retention, NOW + 1).alarms, 1, 'one millisecond later it goes');
});
