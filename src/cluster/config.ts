// Roles and the NATS connection: parsed and checked before anything connects (secure by default).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from 'nats';
import type { Config } from '../config/schema.js';
import { EarshotError } from '../errors.js';

export const ROLES = ['ingest', 'speech', 'core'] as const;
export type NodeRole = (typeof ROLES)[number];

/** `--role all|ingest|speech|core`, several comma-separated; `all` = every role in one process. */
export function parseRoles(spec: string | undefined): Set<NodeRole> {
  const parts = (spec ?? 'all').split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new EarshotError('EARSHOT_ERR_CLUSTER_ROLE', 'empty --role');
  const out = new Set<NodeRole>();
  for (const p of parts) {
    if (p === 'all') for (const r of ROLES) out.add(r);
    else if ((ROLES as readonly string[]).includes(p)) out.add(p as NodeRole);
    else throw new EarshotError('EARSHOT_ERR_CLUSTER_ROLE', `unknown role "${p}" (all, ingest, speech, core)`);
  }
  return out;
}

export const isAll = (roles: Set<NodeRole>) => ROLES.every((r) => roles.has(r));

export function nodeName(config: Config): string {
  return config.cluster.node || `${hostname().replace(/[^A-Za-z0-9_-]/gu, '-').slice(0, 40)}-${process.pid}`;
}

const loopback = (host: string) => {
  const h = host.replace(/^\[|\]$/gu, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
};

/**
 * The connection options for cluster.nats. A server beyond the loopback must be reached over TLS
 * with credentials: leg audio travels on this bus. `allowInsecure` is the operator's explicit opt-out.
 */
export function natsOptions(config: Config, name: string): ConnectionOptions {
  const n = config.cluster.nats;
  if (!n.servers.length) throw new EarshotError('EARSHOT_ERR_CONFIG', 'cluster.nats.servers is empty');
  const tls = n.tls.ca || n.tls.cert || n.servers.some((s) => s.startsWith('tls://'));
  const creds = !!(n.credentials || (n.user && n.passwordFile));
  if (n.user && !n.passwordFile) throw new EarshotError('EARSHOT_ERR_CONFIG', 'cluster.nats.user needs cluster.nats.passwordFile');
  if ((n.tls.cert && !n.tls.key) || (n.tls.key && !n.tls.cert)) throw new EarshotError('EARSHOT_ERR_CONFIG', 'cluster.nats.tls: cert and key go together');
  for (const s of n.servers) {
    let host: string;
    try {
      host = new URL(s.replace(/^(nats|tls):/u, 'http:')).hostname;
    } catch {
      throw new EarshotError('EARSHOT_ERR_CONFIG', 'cluster.nats.servers: not a URL');
    }
    if (!loopback(host) && !(tls && creds) && !n.allowInsecure) {
      throw new EarshotError('EARSHOT_ERR_CLUSTER_INSECURE', `${host}: set cluster.nats.tls and credentials (or user + passwordFile)`);
    }
  }
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new EarshotError('EARSHOT_ERR_CONFIG', `cluster.nats.${what}: cannot read the file`, { cause: err });
    }
  };
  const opts: ConnectionOptions = {
    servers: n.servers.map((s) => s.replace(/^nats:\/\//u, '')),
    name: n.name || `earshot-${name}`,
    // A core or a speech node outlives a nats-server restart: keep trying, never give up.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  };
  if (tls) {
    opts.tls = {
      ...(n.tls.ca ? { ca: read(n.tls.ca, 'tls.ca') } : {}),
      ...(n.tls.cert ? { cert: read(n.tls.cert, 'tls.cert'), key: read(n.tls.key, 'tls.key') } : {}),
    };
  }
  if (n.credentials) opts.authenticator = credsAuthenticator(new TextEncoder().encode(read(n.credentials, 'credentials')));
  else if (n.user) {
    opts.user = n.user;
    opts.pass = read(n.passwordFile, 'passwordFile').trim();
  }
  return opts;
}

/** A TLS failure as Node reports it (OpenSSL verification codes, handshake errors). */
const TLS_CODES = /CERT|VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER|ERR_SSL|ERR_TLS|^TLS$/u;

/**
 * Connects to the site's NATS; what an operator can fix gets its own code: an untrusted server
 * certificate (`EARSHOT_ERR_CLUSTER_TLS`) and refused credentials (`EARSHOT_ERR_CLUSTER_AUTH`).
 */
export async function connectSite(opts: ConnectionOptions): Promise<NatsConnection> {
  try {
    return await connect(opts);
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '');
    if (code === 'AUTHORIZATION_VIOLATION' || code === 'AUTHENTICATION_EXPIRED') {
      throw new EarshotError('EARSHOT_ERR_CLUSTER_AUTH', 'NATS refused the credentials (cluster.nats.user/passwordFile or credentials)', { cause: err });
    }
    if (TLS_CODES.test(code)) {
      throw new EarshotError('EARSHOT_ERR_CLUSTER_TLS', `TLS with NATS failed (${code}): check cluster.nats.tls.ca`, { cause: err });
    }
    throw err;
  }
}
