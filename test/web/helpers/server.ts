import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { pino } from 'pino';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import { validateConfig } from '../../../src/config/index.js';
import { createMetrics, type Metrics } from '../../../src/metrics/registry.js';
import type { Store } from '../../../src/store/types.js';
import { createUser, createWebServer, type WebDeps } from '../../../src/web/index.js';
import { connectStore } from '../../../src/store/index.js';
import { openTestStore, testAlarmService } from './store.js';
import { dbOf } from '../../helpers/db.js';

export const PASSWORD = 'correct horse battery';

export interface TestServer {
  app: FastifyInstance;
  bus: PipelineBus;
  calls: CallRegistry;
  metrics: Metrics;
  store: Store;
  alarms: Awaited<ReturnType<typeof testAlarmService>>;
  ready: Record<string, { ok: boolean; detail: string }>;
  base: string;
}

/** A real server on 127.0.0.1:<random port> over a real SQLite file, users viewer/supervisor/admin. */
export async function startServer(
  t: Test,
  opts: { tuning?: WebDeps['tuning']; listen?: boolean; extend?: (app: FastifyInstance, store: Store, bus: PipelineBus) => void; config?: Record<string, unknown>; dir?: string; before?: (calls: CallRegistry) => void; reads?: boolean } = {},
): Promise<TestServer> {
  const dir = opts.dir ?? t.testdir();
  const metrics = createMetrics({ defaults: false });
  const store = openTestStore(dir, metrics, opts.reads);
  for (const role of ['viewer', 'supervisor', 'admin'] as const) createUser(dbOf(store), { username: role, role, password: PASSWORD });
  const bus = new PipelineBus();
  const calls = new CallRegistry(bus, 500);
  opts.before?.(calls);
  const config = validateConfig(opts.config ?? {});
  const log = pino({ level: 'silent' });
  const unwire = connectStore(store, bus); // first, as in main: later listeners see utterance ids
  const alarms = await testAlarmService({ bus, store, metrics, config, log });
  const ready: TestServer['ready'] = { store: { ok: true, detail: 'open' } };
  const app = await createWebServer({
    config,
    log,
    bus,
    calls,
    metrics,
    store,
    alarms,
    readiness: () => ready,
    tuning: opts.tuning,
  });
  opts.extend?.(app, store, bus); // as other stages add their routes before main calls listen
  let base = '';
  if (opts.listen !== false) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : '';
  } else await app.ready();
  t.teardown(async () => {
    await app.close();
    await alarms.close();
    unwire();
    store.close();
  });
  return { app, bus, calls, metrics, store, alarms, ready, base };
}

/** Logs in through the API; returns the cookie header and CSRF token. */
export async function login(app: FastifyInstance, username: string, password = PASSWORD) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
  const c = res.cookies.find((x) => x.name === 'earshot_sid');
  return { cookie: `earshot_sid=${c!.value}`, csrf: (res.json() as { csrf: string }).csrf, setCookie: c! };
}
