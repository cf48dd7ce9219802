import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics/registry.js';
import type { LiveHub } from '../live/hub.js';

const LiveQuery = Type.Object({
  since: Type.Optional(Type.Integer({ minimum: 0 })),
  boot: Type.Optional(Type.String({ pattern: '^[0-9a-f]{1,32}$' })),
  /** Calls to watch from the start (comma-separated ids), as a reconnecting transcript view needs. */
  watch: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}(,[A-Za-z0-9._:-]{1,64}){0,15}$' })),
});

function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return true; // non-browser clients send none; the session cookie still applies
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** `/api/v1/live`: the console's event stream (see live/hub.ts for the protocol). */
export function liveRoutes(app: FastifyInstance, deps: { hub: LiveHub; metrics: Metrics }): void {
  app.get<{ Querystring: Static<typeof LiveQuery> }>(
    '/live',
    {
      websocket: true,
      schema: { querystring: LiveQuery },
      // Cookies ride along on cross-site websocket upgrades in some browsers: check Origin.
      preValidation: async (req, reply) => {
        if (!sameOrigin(req.headers.origin, req.headers.host)) {
          deps.metrics.badInput('api', 'ws-origin');
          return reply.code(403).send({ error: 'forbidden', message: 'cross-origin websocket refused' });
        }
      },
    },
    (socket, req) => deps.hub.attach(socket, req.session!.user.username, req.query),
  );
}
