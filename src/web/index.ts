import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyWebsocket from '@fastify/websocket';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AlarmService } from '../alarms/types.js';
import type { PipelineBus } from '../call/events.js';
import type { CallRegistry } from '../call/registry.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import { createWebMetrics } from '../metrics/web-metrics.js';
import type { Store } from '../store/types.js';
import { apiPlugin } from './api.js';
import { recordingRoutes } from './routes/recordings.js';
import { installGuard, SESSION_COOKIE } from './auth/guard.js';
import { createSessions, DEFAULT_AUTH, type AuthOptions } from './auth/sessions.js';
import { consolePlugin } from './console.js';
import { installErrorHandling } from '../error-handler.js';
import { sendError } from './errors.js';
import { healthRoutes, type Readiness } from './health.js';
import { createLiveHub, type LiveHub, type LiveOptions } from './live/hub.js';
import { createQueries } from './queries.js';

export { createUser, deleteUser, setPassword, setRole, unlockUser, type UserRole } from './auth/users.js';
export type { Readiness } from './health.js';

export interface WebDeps {
  config: Config;
  log: Logger;
  bus: PipelineBus;
  calls: CallRegistry;
  metrics: Metrics;
  store: Store;
  alarms: AlarmService;
  readiness: Readiness;
  /** Tests shorten lockouts and queues; production uses the defaults. */
  tuning?: { auth?: Partial<AuthOptions>; live?: Partial<LiveOptions>; loginRateLimit?: number };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The live console hub (client count, last sequence number) for status and tests. */
    liveHub: LiveHub;
    /** Every route added (method and URL pattern), for docs and the anonymous-access test. */
    routeList: { method: string; url: string }[];
  }
}

/**
 * Builds the HTTP side (health, metrics, /api/v1, live websocket, console), not yet listening:
 * main calls `app.listen`. Websocket support is registered here so ingest routes can be added after.
 */
export async function createWebServer(deps: WebDeps): Promise<FastifyInstance> {
  const { config, store, metrics } = deps;
  const tls = config.http.tlsCert && config.http.tlsKey;
  const app = Fastify({
    loggerInstance: deps.log,
    // Default request logs carry URLs, whose query strings can hold search text: log route patterns instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    trustProxy: false,
    ...(tls ? { https: { cert: readFileSync(config.http.tlsCert), key: readFileSync(config.http.tlsKey) } } : {}),
  }) as unknown as FastifyInstance;

  const web = createWebMetrics(metrics);
  const sessions = createSessions(store.repos.users, {
    ...DEFAULT_AUTH,
    maxFailures: config.auth.maxFailures,
    sourceMaxFailures: config.auth.maxFailures,
    lockoutMs: config.auth.lockoutMinutes * 60_000,
    idleMs: config.auth.idleMinutes * 60_000,
    ...deps.tuning?.auth,
  });
  const queries = createQueries(store.repos);
  const hub = createLiveHub({ bus: deps.bus, calls: deps.calls, store, metrics, web, sessions, log: deps.log.child({ mod: 'live' }), options: deps.tuning?.live });
  app.decorate('liveHub', hub);
  const routeList: { method: string; url: string }[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routeList.push({ method, url: r.url });
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    web.httpRequests.inc({ route, method: req.method, status: `${Math.floor(reply.statusCode / 100)}xx` });
    req.log.debug({ method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  // One error handler and body for every route, plugins included, set here once (src/error-handler.ts).
  installErrorHandling(app, metrics);
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return sendError(reply, 'EARSHOT_ERR_NOT_FOUND', 'no such endpoint');
    return reply.code(404).type('text/plain; charset=utf-8').send('not found');
  });
  // With TLS the browser is told to never try plain http again for this host (a year).
  if (tls) {
    app.addHook('onSend', async (_req, reply) => {
      reply.header('strict-transport-security', 'max-age=31536000');
    });
  }
  // Close live clients with 1001 before the websocket plugin tears the server down.
  app.addHook('preClose', async () => hub.close());

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
  // ws would otherwise buffer frames up to 100 MiB before any fork endpoint could check their size.
  await app.register(fastifyWebsocket, { options: { maxPayload: deps.config.forks.maxFrameBytes } });
  // After the websocket plugin: its onRequest hook must mark upgrade requests first, or a refused
  // upgrade (401/403 from the guard) leaves the raw socket open and app.close() waits forever.
  installGuard(app, sessions, metrics, { survey: config.kpi.surveyKeys });
  healthRoutes(app, { ...deps, sessions, sessionCookie: SESSION_COOKIE });
  await app.register(apiPlugin, {
    prefix: '/api/v1',
    sessions,
    queries,
    store,
    alarms: deps.alarms,
    hub,
    metrics,
    web,
    secureCookie: Boolean(tls),
    origins: config.http.publicUrl ? [new URL(config.http.publicUrl).origin] : [],
    loginRateLimit: deps.tuning?.loginRateLimit ?? 20,
    rulesDir: resolve(config.analysis.rulesDir),
  });
  // Recordings (privacy.storeAudio): behind the same guard; lists are empty when storage is off.
  await app.register(recordingRoutes({ config, store, metrics }), { prefix: '/api/v1' });
  await app.register(consolePlugin);
  return app;
}
