import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../../metrics/registry.js';
import { csrfMatches, type Session, type Sessions } from './sessions.js';
import { roleAtLeast, type UserRole } from './users.js';

export const SESSION_COOKIE = 'earshot_sid';

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
  }
  interface FastifyContextConfig {
    /** Reachable without a session (login only). */
    public?: boolean;
    /** Lowest role allowed; default viewer. */
    minRole?: UserRole;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The URL space the guard covers, whoever registers the route. */
export const API_PREFIX = '/api/v1';

/**
 * Installs the API's access rules on the root instance, keyed on the route pattern, so a route
 * any stage adds under /api/v1 is protected by default: it needs a session unless its config says
 * `public: true`, state-changing methods need the session's CSRF token in `x-csrf-token`, and
 * `config.minRole` is enforced.
 */
export function installGuard(app: FastifyInstance, sessions: Sessions, metrics: Metrics): void {
  app.decorateRequest('session', null);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = req.routeOptions.url;
    if (!route || (route !== API_PREFIX && !route.startsWith(`${API_PREFIX}/`))) return;
    const config = req.routeOptions.config ?? {};
    req.session = sessions.get(req.cookies[SESSION_COOKIE]) ?? null;
    if (config.public) return;
    if (!req.session) return reply.code(401).send({ error: 'unauthenticated', message: 'log in first' });
    if (!SAFE_METHODS.has(req.method) && !csrfMatches(req.session.csrf, req.headers['x-csrf-token'])) {
      metrics.badInput('api', 'csrf');
      return reply.code(403).send({ error: 'csrf', message: 'missing or wrong x-csrf-token header' });
    }
    const need = config.minRole ?? 'viewer';
    if (!roleAtLeast(req.session.user.role, need)) {
      return reply.code(403).send({ error: 'forbidden', message: `requires role ${need}` });
    }
  });
}
