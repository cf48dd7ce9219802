import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../../metrics/registry.js';
import { csrfMatches, type Session, type Sessions } from './sessions.js';
import { roleAtLeast, type UserRole } from './users.js';
import { sendError } from '../errors.js';

export const SESSION_COOKIE = 'earshot_sid';

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
    /** Name of the API key the request was let in by (see `apiKey` below), else null. */
    apiKeyName: string | null;
  }
  interface FastifyContextConfig {
    /** Reachable without a session (login only). */
    public?: boolean;
    /** Lowest role allowed; default viewer. */
    minRole?: UserRole;
    /** Also open to `authorization: Bearer <key>` with a key of this kind (machines, no session, no CSRF). */
    apiKey?: 'survey';
  }
}

export interface ApiKey {
  name: string;
  key: string;
}

/** The name of the key an `authorization: Bearer <key>` header carries, compared in constant time. */
function keyName(list: readonly ApiKey[], header: string | undefined): string | undefined {
  if (!header?.startsWith('Bearer ')) return undefined;
  const given = createHash('sha256').update(header.slice(7)).digest();
  // Hashes have equal length, so every comparison takes the same time whatever was sent.
  return list.find((k) => timingSafeEqual(createHash('sha256').update(k.key).digest(), given))?.name;
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
export function installGuard(app: FastifyInstance, sessions: Sessions, metrics: Metrics, keys: { survey: readonly ApiKey[] } = { survey: [] }): void {
  app.decorateRequest('session', null);
  app.decorateRequest('apiKeyName', null);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = req.routeOptions.url;
    if (!route || (route !== API_PREFIX && !route.startsWith(`${API_PREFIX}/`))) return;
    const config = req.routeOptions.config ?? {};
    // Any request of the user's counts as use (restarts the idle clock).
    req.session = sessions.get(req.cookies[SESSION_COOKIE], { touch: true }) ?? null;
    if (config.public) return;
    if (config.apiKey && !req.session) {
      const name = keyName(keys[config.apiKey], req.headers.authorization);
      if (name) {
        req.apiKeyName = name;
        return;
      }
      if (req.headers.authorization !== undefined) metrics.badInput('api', 'api-key');
    }
    if (!req.session) return sendError(reply, 'EARSHOT_ERR_UNAUTHENTICATED', 'log in first');
    if (!SAFE_METHODS.has(req.method) && !csrfMatches(req.session.csrf, req.headers['x-csrf-token'])) {
      metrics.badInput('api', 'csrf');
      return sendError(reply, 'EARSHOT_ERR_CSRF');
    }
    const need = config.minRole ?? 'viewer';
    if (!roleAtLeast(req.session.user.role, need)) {
      return sendError(reply, 'EARSHOT_ERR_FORBIDDEN', `requires role ${need}`);
    }
  });
}
