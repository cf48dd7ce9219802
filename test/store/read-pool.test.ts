import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { createMetrics } from '../../src/metrics/registry.js';
import { openStore } from '../../src/store/index.js';
import { createReadPool } from '../../src/store/read-pool.js';
import { buildReport } from '../../src/web/reports/build.js';
import { poolReport, REPORT_READS } from '../../src/web/reports/reads.js';
import { call, metricValue } from './helpers/fixtures.js';
import { dbOf } from '../helpers/db.js';

const log = pino({ level: 'silent' });
const tasks = new URL('./fixtures/read-tasks.ts', import.meta.url);

function seeded(t: { testdir(): string }, n: number) {
  const path = join(t.testdir(), 'reads.db');
  const store = openStore({ path, log });
  const base = Date.UTC(2026, 10, 3);
  for (let i = 1; i <= n; i++) {
    const c = call(i, { agentId: `agent-${i % 5}`, startedAt: base + i * 60_000 });
    store.upsertCall(c);
    store.endCall(c.callId, 'ended', c.startedAt + 30_000 + (i % 7) * 1000);
  }
  store.flush();
  return { path, store, base };
}

t.test('a read task returns what the same query returns on the loop', async (t) => {
  const { path, store, base } = seeded(t, 300);
  const pool = createReadPool({ path, tasks });
  t.teardown(() => pool.close());
  const inLoop = dbOf(store).prepare('SELECT agent_id, COUNT(*) AS n FROM calls GROUP BY agent_id ORDER BY agent_id').all();
  t.same(await pool.runNamed('callsByAgent', {}), inLoop);
  t.equal(inLoop.length, 5);
  store.close();

  // A stage's task (the reports' month report, registered as main does) equals buildReport run in the loop.
  const real = createReadPool({ path, stageTasks: [REPORT_READS] });
  t.teardown(() => real.close());
  const reference = openStore({ path, log, recover: false });
  t.teardown(() => reference.close());
  const got = await poolReport(real, { period: 'month', at: base });
  t.same(got, buildReport(dbOf(reference), 'month', base));
  t.equal(got.totals.calls.now, 300, 'the report saw the seeded calls');
});

t.test('a full queue refuses with a code and a metric; a task past the timeout is stopped and the pool goes on', async (t) => {
  const { path, store } = seeded(t, 20);
  t.teardown(() => store.close());
  const metrics = createMetrics({ defaults: false });
  const pool = createReadPool({ path, tasks, workers: 1, maxQueue: 1, metrics });
  t.teardown(() => pool.close());

  const running = pool.runNamed('slow', {}, { timeoutMs: 1000 });
  const waiting = pool.runNamed('callsByAgent', {});
  await t.rejects(pool.runNamed('callsByAgent', {}), { code: 'EARSHOT_ERR_READ_BUSY' });
  t.equal(await metricValue(metrics, 'earshot_store_read_rejected_total', { task: 'callsByAgent' }), 1);

  // The loop keeps turning while the worker is stuck in SQLite.
  let turned = false;
  setImmediate(() => (turned = true));
  await t.rejects(running, { code: 'EARSHOT_ERR_READ_TIMEOUT' });
  t.ok(turned, 'a setImmediate callback ran while the long read was in flight');
  t.equal(await metricValue(metrics, 'earshot_store_read_seconds', { task: 'slow', outcome: 'timeout' }) > 0, true, 'its time is in the histogram');
  t.equal(await metricValue(metrics, 'earshot_store_read_timeouts_total', { task: 'slow' }), 1);

  // The waiting task runs on the replacement worker.
  const rows = (await waiting) as { n: number }[];
  t.equal(rows.reduce((s, r) => s + r.n, 0), 20);
  t.same(await pool.runNamed('callsByAgent', {}), rows, 'and so do later ones');
});

t.test('a task error is passed through; after close, runs are refused', async (t) => {
  const { path, store } = seeded(t, 1);
  t.teardown(() => store.close());
  const pool = createReadPool({ path, tasks });
  await t.rejects(pool.runNamed('nope', {}), { message: /no read task named nope/ });
  await pool.close();
  await t.rejects(pool.runNamed('callsByAgent', {}), { code: 'EARSHOT_ERR_STORE_CLOSED' });
});

t.test('openStore with `reads` starts the pool on the file and close() ends it', async (t) => {
  const { path, store: seed, base } = seeded(t, 10);
  seed.close();
  const store = openStore({ path, log, recover: false, reads: { workers: 1, timeoutMs: 60_000, stageTasks: [REPORT_READS] } });
  t.ok(store.reads, 'a pool for a file store');
  t.ok(store.reads!.serves(REPORT_READS));
  const report = await poolReport(store.reads!, { period: 'month', at: base });
  t.equal(report.totals.calls.now, 10);
  store.close();
  await t.rejects(poolReport(store.reads!, { period: 'month', at: base }), { code: 'EARSHOT_ERR_STORE_CLOSED' });
  const mem = openStore({ path: ':memory:', log, reads: {} });
  t.equal(mem.reads, undefined, 'none for a memory database: a worker cannot share it');
  mem.close();
});

t.test("a stage's tasks module loads beside the store's: both run, and serves() tells which modules the workers have", async (t) => {
  const { path, store } = seeded(t, 20);
  store.close();
  const pool = createReadPool({ path, stageTasks: [tasks] });
  t.teardown(() => pool.close());
  t.ok(pool.serves(tasks), 'the stage module is served');
  t.notOk(pool.serves(new URL('./fixtures/writer-child.ts', import.meta.url)), 'a module not given is not');
  t.equal(((await pool.runNamed('callsByAgent', {})) as unknown[]).length, 5, "the stage's task runs");
  t.same(await pool.run('kpi.npsSamples', { n: 10 }), [], "and the store's own still do");
  await t.rejects(pool.runNamed('no-such-task', {}), /no read task named no-such-task/u);
});
