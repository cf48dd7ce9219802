// The NPS and risk routes on a store with a read pool: the heavy reads run in the read worker
// (its metric counts them) and answer exactly what the same reads answer on the event loop.
import Fastify from 'fastify';
import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { fitNpsModel, highRiskCustomers, npsReport, surveyRoutes } from '../../src/kpi/index.js';
import { validateConfig } from '../../src/config/load.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import { openStore } from '../../src/store/index.js';
import { dbOf } from '../helpers/db.js';

const DAY = 86_400_000;
const MON = Date.UTC(2026, 10, 16);

async function readTasks(metrics: Metrics, task: string): Promise<number> {
  const m = metrics.registry.getSingleMetric('earshot_store_read_seconds');
  if (!m) return 0;
  const { values } = await m.get();
  return (values as { metricName?: string; labels: Record<string, unknown>; value: number }[]).filter((v) => v.metricName === 'earshot_store_read_seconds_count' && v.labels.task === task && v.labels.outcome === 'ok').reduce((s, v) => s + v.value, 0);
}

t.test('GET /nps, /nps/model and /customers/high-risk read in the read worker, with the same answers as on the loop', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(t.testdir(), 'k.db'), log: pino({ level: 'silent' }), metrics, reads: { workers: 1 } });
  t.teardown(() => store.close());
  t.ok(store.reads, 'the store has a read pool');
  const channels = ['voice', 'chat', 'email'] as const;
  let seed = 3;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 60; i++) {
    const callId = `c${i}`;
    const sentiment = rnd() * 2 - 1;
    store.upsertCall({ callId, ingest: 'import', externalId: callId, startedAt: MON + i * 3_600_000, agentId: `a${i % 3}`, queue: 'q', customerHash: `h${i % 20}`, channel: channels[i % 3] });
    store.endCall(callId, 'ended', MON + i * 3_600_000 + 120_000, { kpi: { durationMs: 120_000, sentiment: { customerAvg: sentiment, customerEnd: sentiment, negativeEnd: sentiment < -0.5 } } });
    store.flush();
    store.repos.surveys.insert({ callId, customerHash: `h${i % 20}`, kind: 'nps', score: Math.max(0, Math.min(10, Math.round(6 + 4 * sentiment))), receivedAt: MON + i * 3_600_000 + DAY / 2, source: 'api' });
  }
  const now = MON + 10 * DAY;
  const app = Fastify();
  await app.register(surveyRoutes({ store, metrics, config: validateConfig({}), clock: () => now }), { prefix: '/api/v1' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1`;
  const get = async (path: string) => (await fetch(base + path)).json() as Promise<Record<string, unknown>>;

  t.same((await get('/nps?by=channel&period=day')).rows, npsReport(dbOf(store), { by: 'channel', period: 'day' }));
  t.same((await get(`/nps?by=agent&period=all&channel=chat&from=${MON + 5}&to=${MON + 2 * DAY + 9}`)).rows, npsReport(dbOf(store), { by: 'agent', period: 'all', channel: 'chat', from: MON + 5, to: MON + 2 * DAY + 9 }));
  t.equal(await readTasks(metrics, 'kpi.npsDays'), 2, 'both NPS reads ran in the worker');

  const { ok, trained, heldOut, accuracy } = fitNpsModel(dbOf(store)) as { ok: boolean; trained: number; heldOut: number; accuracy: number };
  t.match(await get('/nps/model'), { ok, trained, heldOut, accuracy });
  t.ok(ok, 'enough answers to fit');
  t.equal(await readTasks(metrics, 'kpi.npsSamples'), 1, 'the samples were read in the worker');

  const pool = highRiskCustomers(dbOf(store), { since: now - 30 * DAY, now, limit: 1000 });
  t.ok(pool.length > 0, 'some customers are at risk');
  t.same((await get('/customers/high-risk')).customers, pool);
  t.equal(await readTasks(metrics, 'kpi.riskPool'), 1);
  await get('/customers/high-risk');
  t.equal(await readTasks(metrics, 'kpi.riskPool'), 1, 'a pool computed within the minute is reused');
});
