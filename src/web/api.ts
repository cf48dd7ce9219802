import type { FastifyError, FastifyInstance } from 'fastify';
import type { AlarmService } from '../alarms/types.js';
import type { Metrics } from '../metrics/registry.js';
import type { WebMetrics } from '../metrics/web-metrics.js';
import type { Store } from '../store/types.js';
import type { Sessions } from './auth/sessions.js';
import type { LiveHub } from './live/hub.js';
import type { Queries } from './queries.js';
import { alarmRoutes } from './routes/alarms.js';
import { authRoutes } from './routes/auth.js';
import { callRoutes } from './routes/calls.js';
import { categoryRoutes } from './routes/categories.js';
import { insightRoutes } from './routes/insights.js';
import { kpiRoutes } from './routes/kpi.js';
import { liveRoutes } from './routes/live.js';
import { reportRoutes } from './routes/reports.js';

export interface ApiDeps {
  sessions: Sessions;
  queries: Queries;
  store: Store;
  alarms: AlarmService;
  hub: LiveHub;
  metrics: Metrics;
  web: WebMetrics;
  secureCookie: boolean;
  loginRateLimit: number;
  /** The analysis rules directory (absolute): category names for the console. */
  rulesDir: string;
}

// Bounded reasons for rejected requests; fastify's own codes map onto these.
function reasonOf(err: FastifyError): string {
  if (err.validation) return `invalid-${err.validationContext ?? 'input'}`;
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'invalid-json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'empty-body';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'media-type';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'too-large';
    default:
      return 'other';
  }
}

/** The JSON API under /api/v1 as one encapsulated plugin (the access guard is global: see auth/guard.ts). */
export async function apiPlugin(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 429) return reply.code(429).send({ error: 'rate-limited', message: 'too many requests; wait a minute' });
    if (status >= 400 && status < 500) {
      deps.metrics.badInput('api', reasonOf(err));
      return reply.code(status).send({ error: 'bad-request', message: err.message });
    }
    // Messages of unexpected errors may quote data: log the code and route only.
    req.log.error({ code: err.code ?? err.name, route: req.routeOptions.url }, 'api request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });

  authRoutes(app, deps);
  callRoutes(app, deps);
  alarmRoutes(app, deps);
  kpiRoutes(app, deps);
  liveRoutes(app, deps);
  reportRoutes(app, deps);
  insightRoutes(app, deps);
  categoryRoutes(app, deps);
}
