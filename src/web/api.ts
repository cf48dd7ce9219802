import type { FastifyInstance } from 'fastify';
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
  /** Origins besides the server's own that may open the live websocket (http.publicUrl's). */
  origins: readonly string[];
  loginRateLimit: number;
  /** The analysis rules directory (absolute): category names for the console. */
  rulesDir: string;
}

/** The JSON API under /api/v1 as one encapsulated plugin (the access guard is global: see auth/guard.ts). */
export async function apiPlugin(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
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
