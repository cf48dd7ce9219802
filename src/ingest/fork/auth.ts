import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../metrics/registry.js';
import { verifySignature } from './signature.js';

/**
 * An API key entry. `clientSecret` (base64) is not in the config schema yet (requested): when a key
 * has one, AudioHook connections using that key must also carry a valid HTTP message signature.
 */
export interface ApiKey {
  name: string;
  key: string;
  clientSecret?: string;
}

export type AuthResult = { ok: true; source?: ApiKey } | { ok: false; reason: 'missing-key' | 'bad-key' };

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Per-source API keys (`config.forks.apiKeys`); an empty list means no key is needed.
 * Accepted as `X-API-KEY` (AudioHook), `Authorization: Bearer <key>`, or HTTP Basic with the
 * key as password (mod_audio_fork, jambonz `wsAuth` and Asterisk websocket clients only
 * speak Basic). Query strings are not accepted: they end up in access logs.
 */
export function checkApiKey(config: Config, headers: IncomingHttpHeaders): AuthResult {
  const keys: ApiKey[] = config.forks.apiKeys;
  if (keys.length === 0) return { ok: true };
  const presented = presentedKey(headers);
  if (!presented) return { ok: false, reason: 'missing-key' };
  const p = digest(presented);
  let match: ApiKey | undefined;
  // Compare against every key (no early exit) with constant-time equality of digests.
  for (const k of keys) if (timingSafeEqual(p, digest(k.key))) match = k;
  return match ? { ok: true, source: match } : { ok: false, reason: 'bad-key' };
}

function presentedKey(h: IncomingHttpHeaders): string | undefined {
  const x = h['x-api-key'];
  if (typeof x === 'string' && x) return x;
  const auth = h.authorization;
  if (!auth) return undefined;
  const [scheme, value = ''] = auth.split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return value || undefined;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) || undefined : undefined;
  }
  return undefined;
}

/**
 * A route `preValidation` hook: refuses the upgrade with HTTP 401 before any websocket exists.
 * With `signed`, a key that has a client secret also needs a valid AudioHook signature.
 */
export function requireApiKey(config: Config, metrics: Metrics, parser: string, signed = false) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const r = checkApiKey(config, req.headers);
    let reason: string | undefined = r.ok ? undefined : r.reason;
    if (r.ok && signed && r.source?.clientSecret) {
      const v = verifySignature({ method: req.method, url: req.url, headers: req.headers }, r.source.key, r.source.clientSecret);
      if (v !== true) reason = v;
    }
    if (!reason) return;
    metrics.badInput(parser, reason);
    req.log.warn({ reason, route: req.routeOptions.url }, 'fork connection refused');
    await reply.code(401).header('www-authenticate', 'Basic realm="earshot"').send({ error: 'unauthorized', code: 'EARSHOT_ERR_UNAUTHENTICATED' });
  };
}
