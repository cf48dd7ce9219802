import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import type { ForkProtocol } from './metrics.js';

/**
 * A configured ingest source, resolved once at start. Only the SHA-256 of the key is kept:
 * whatever the key came from (literal, file, environment or a hash in the config), the process
 * holds no copy of it after start. The AudioHook client secret is the exception: HMAC needs it.
 */
export interface IngestKey {
  name: string;
  digest?: Buffer;
  protocols: ReadonlySet<ForkProtocol>;
  allow?: BlockList;
  maxConnections: number;
  clientSecret?: string;
}

export const WS_PROTOCOLS: readonly ForkProtocol[] = ['audio-fork', 'jambonz', 'audiohook', 'ari'];

export const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

const MIN_KEY = 16;

/** Plain address (IPv4-mapped IPv6 unwrapped) and its BlockList family. */
export function addressOf(raw: string | undefined): { addr: string; family: 'ipv4' | 'ipv6' } {
  const addr = (raw ?? '').replace(/^::ffff:/, '');
  return { addr, family: isIP(addr) === 6 ? 'ipv6' : 'ipv4' };
}

export function blockList(cidrs: readonly string[]): BlockList | undefined {
  if (cidrs.length === 0) return undefined;
  const bl = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) bl.addAddress(addr, type);
    else bl.addSubnet(addr, Number(bits), type);
  }
  return bl;
}

export function allows(list: BlockList | undefined, remote: string | undefined): boolean {
  if (!list) return true;
  const { addr, family } = addressOf(remote);
  return isIP(addr) !== 0 && list.check(addr, family);
}

/**
 * Resolves `forks.apiKeys`: reads key files and environment variables, hashes every key and
 * checks that each entry has exactly one key source (AudioSocket-only entries have none: the
 * protocol carries no credential, so their `allow` list is the credential). Throws ConfigError
 * naming the entry, so a bad key stops start-up and `earshot config check`.
 */
export function resolveIngestKeys(config: Pick<Config, 'forks'>, env: NodeJS.ProcessEnv = process.env): IngestKey[] {
  const seen = new Set<string>();
  const digests = new Map<string, string>();
  return config.forks.apiKeys.map((k, i) => {
    const at = `forks.apiKeys[${i}] (${k.name})`;
    if (seen.has(k.name)) throw new ConfigError([`${at}: name used twice; each source needs its own name`]);
    seen.add(k.name);
    const protocols = new Set(k.protocols as ForkProtocol[]);
    const sources = (['key', 'keyFile', 'keyEnv', 'keySha256'] as const).filter((f) => k[f] !== undefined);
    const wsProtocols = [...protocols].filter((p) => p !== 'audiosocket');
    if (sources.length > 1) throw new ConfigError([`${at}: give one of key, keyFile, keyEnv, keySha256 (found ${sources.join(', ')})`]);
    if (wsProtocols.length > 0 && sources.length === 0) throw new ConfigError([`${at}: ${wsProtocols.join(', ')} need a key: set key, keyFile, keyEnv or keySha256`]);
    if (protocols.has('audiosocket') && k.allow.length === 0) {
      throw new ConfigError([`${at}: audiosocket needs allow (the Asterisk hosts' addresses): AudioSocket carries no credential`]);
    }
    if (k.clientSecret && !protocols.has('audiohook')) throw new ConfigError([`${at}: clientSecret is only used by audiohook, which this key does not list`]);
    let digest: Buffer | undefined;
    if (k.keySha256) digest = Buffer.from(k.keySha256, 'hex');
    else if (sources.length === 1) {
      let key: string | undefined = k.key;
      if (k.keyFile) {
        try {
          key = readFileSync(k.keyFile, 'utf8').split(/\r?\n/)[0].trim();
        } catch (err) {
          throw new ConfigError([`${at}: keyFile ${JSON.stringify(k.keyFile)}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
        }
      }
      if (k.keyEnv) key = env[k.keyEnv]?.trim();
      if (!key || key.length < MIN_KEY) throw new ConfigError([`${at}: the key (from ${sources[0]}) is missing or shorter than ${MIN_KEY} characters`]);
      digest = sha256(key);
    }
    if (digest) {
      const other = digests.get(digest.toString('hex'));
      // One key, one source: the key's name is what the calls are attributed to.
      if (other) throw new ConfigError([`${at}: same key as ${other}; give each source its own key`]);
      digests.set(digest.toString('hex'), k.name);
    }
    return { name: k.name, digest, protocols, allow: blockList(k.allow), maxConnections: k.maxConnections, clientSecret: k.clientSecret };
  });
}

export type KeyCheck = { ok: true; key: IngestKey; presented?: string } | { ok: false; reason: 'closed' | 'missing-key' | 'bad-key' | 'wrong-protocol' | 'forbidden-source' };

/**
 * The key presented on a websocket upgrade, checked against every configured key with
 * constant-time comparison of digests (no early exit, so timing does not tell which key or how
 * much of it matched). Accepted as `X-API-KEY` (AudioHook), `Authorization: Bearer <key>`, or HTTP
 * Basic with the key as password (mod_audio_fork, jambonz `wsAuth` and Asterisk's websocket
 * client speak Basic). Not from the query string: URLs end up in proxies' access logs.
 */
export function checkKey(keys: readonly IngestKey[], protocol: ForkProtocol, headers: IncomingHttpHeaders, remote: string | undefined): KeyCheck {
  const usable = keys.filter((k) => k.protocols.has(protocol) && k.digest);
  if (usable.length === 0) return { ok: false, reason: 'closed' };
  const presented = presentedKey(headers);
  if (!presented) return { ok: false, reason: 'missing-key' };
  const p = sha256(presented);
  let match: IngestKey | undefined;
  for (const k of keys) if (k.digest && timingSafeEqual(p, k.digest) && !match) match = k;
  if (!match) return { ok: false, reason: 'bad-key' };
  if (!match.protocols.has(protocol)) return { ok: false, reason: 'wrong-protocol' };
  if (!allows(match.allow, remote)) return { ok: false, reason: 'forbidden-source' };
  return { ok: true, key: match, presented };
}

/** The AudioSocket source for a peer address: the first audiosocket entry whose allow list has it. */
export function audioSocketSource(keys: readonly IngestKey[], remote: string | undefined): IngestKey | undefined {
  return keys.find((k) => k.protocols.has('audiosocket') && k.allow && allows(k.allow, remote));
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
