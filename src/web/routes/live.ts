import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics/registry.js';
import { sendError } from '../errors.js';
import type { LiveHub } from '../live/hub.js';

const LiveQuery = Type.Object({
  since: Type.Optional(Type.Integer({ minimum: 0 })),
  boot: Type.Optional(Type.String({ pattern: '^[0-9a-f]{1,32}$' })),
  /** Calls to watch from the start (comma-separated ids), as a reconnecting transcript view needs. */
  watch: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}(,[A-Za-z0-9._:-]{1,64}){0,15}$' })),
});

/**
 * A browser's Origin must be this server's own origin: scheme, host and port (a page served over
 * plain http must not drive the https console's socket), or the configured public URL's.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, tls: boolean, extra: readonly string[]): boolean {
  if (!origin) return true; // non-browser clients send none; the session cookie still applies
  let o: string;
  try {
    o = new URL(origin).origin;
  } catch {
    return false;
  }
  if (host && o === `${tls ? 'https' : 'http'}://${host}`.toLowerCase()) return true;
  return extra.includes(o);
}

/** `/api/v1/live`: the console's event stream (see live/hub.ts for the protocol). */
export function liveRoutes(app: FastifyInstance, deps: { hub: LiveHub; metrics: Metrics; secureCookie: boolean; origins: readonly string[] }): void {
  app.get<{ Querystring: Static<typeof LiveQuery> }>(
    '/live',
    {
      websocket: true,
      schema: { querystring: LiveQuery },
      // Cookies ride along on cross-site websocket upgrades in some browsers: check Origin.
      preValidation: async (req, reply) => {
        if (!originAllowed(req.headers.origin, req.headers.host, deps.secureCookie, deps.origins)) {
          deps.metrics.badInput('api', 'ws-origin');
          return sendError(reply, 'EARSHOT_ERR_ORIGIN', 'cross-origin websocket refused');
        }
      },
    },
    (socket, req) => deps.hub.attach(socket, req.session!, req.query),
  );
}
