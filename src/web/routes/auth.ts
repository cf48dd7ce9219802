import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { WebMetrics } from '../../metrics/web-metrics.js';
import type { Store } from '../../store/types.js';
import { SESSION_COOKIE } from '../auth/guard.js';
import type { Sessions } from '../auth/sessions.js';
import { sendError } from '../errors.js';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export function authRoutes(
  app: FastifyInstance,
  deps: { sessions: Sessions; store: Store; web: WebMetrics; secureCookie: boolean; loginRateLimit: number },
): void {
  const { sessions, store, web } = deps;

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/auth/login',
    {
      schema: { body: LoginBody },
      config: { public: true, rateLimit: { max: deps.loginRateLimit, timeWindow: 60_000 } },
    },
    async (req, reply) => {
      const r = await sessions.login(req.body.username, req.body.password, req.ip);
      web.logins.inc({ outcome: r.ok ? 'ok' : r.reason });
      if (!r.ok) {
        // The name is audited (admins need to see attacks); it is never logged. Attempts from an
        // address in back-off are not: they are not even checked.
        if (r.reason !== 'source-blocked') store.audit(req.body.username, 'login.failed', undefined, r.reason);
        for (const e of r.events) {
          const minutes = `${Math.round(e.ms / 1000)} s`;
          if (e.kind === 'account.locked') store.audit('system', 'account.locked', req.body.username, minutes);
          else store.audit('system', 'source.blocked', req.ip, minutes);
        }
        // One answer for unknown user, wrong password, locked account and blocked address: no
        // status, body or header tells which names exist or which are locked.
        return sendError(reply, 'EARSHOT_ERR_LOGIN');
      }
      store.audit(r.session.user.username, 'login');
      reply.setCookie(SESSION_COOKIE, r.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.secureCookie,
        expires: new Date(r.session.expiresAt),
      });
      return { user: r.session.user.username, role: r.session.user.role, csrf: r.session.csrf };
    },
  );

  app.post('/auth/logout', async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) sessions.logout(token);
    store.audit(req.session!.user.username, 'logout');
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/auth/me', async (req) => {
    const s = req.session!;
    return { user: s.user.username, role: s.user.role, csrf: s.csrf, expiresAt: s.expiresAt };
  });
}
