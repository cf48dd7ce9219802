import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../../config/schema.js';
import { errorBody } from '../../errors.js';
import type { Metrics } from '../../metrics/registry.js';
import { addressOf, checkKey, type IngestKey, resolveIngestKeys } from './keys.js';
import type { ForkProtocol } from './metrics.js';
import { verifySignature } from './signature.js';

// The door of every fork protocol: authentication, then connection caps (in all, per source
// address, per key), before a connection exists. A connection takes no call slot here: a call
// opens only once an authenticated connection sends audio (see session.ts), so connections that
// never send any (the 205 silent websockets) cannot keep SIPREC calls out, and they are
// closed after `forks.idleSeconds` anyway.

export type Refusal = 'busy-total' | 'busy-ip' | 'busy-key';

export class ForkGate {
  readonly keys: IngestKey[];
  #total = 0;
  readonly #perIp = new Map<string, number>();
  readonly #perKey = new Map<string, number>();
  /** The key of each admitted upgrade request, for its handler. */
  readonly #admitted = new WeakMap<IncomingMessage, IngestKey>();

  constructor(
    private readonly config: Config,
    private readonly metrics: Metrics,
    keys?: IngestKey[],
  ) {
    this.keys = keys ?? resolveIngestKeys(config);
  }

  get open(): number {
    return this.#total;
  }

  /** Which protocols any key opens. */
  opens(protocol: ForkProtocol): boolean {
    return this.keys.some((k) => k.protocols.has(protocol));
  }

  /** Takes a connection slot for `key` from `remote`; the returned release is idempotent. */
  reserve(key: IngestKey, remote: string | undefined): (() => void) | Refusal {
    const { addr } = addressOf(remote);
    const f = this.config.forks;
    if (this.#total >= f.maxConnections) return 'busy-total';
    if ((this.#perIp.get(addr) ?? 0) >= f.maxConnectionsPerIp) return 'busy-ip';
    if (key.maxConnections > 0 && (this.#perKey.get(key.name) ?? 0) >= key.maxConnections) return 'busy-key';
    this.#total++;
    this.#perIp.set(addr, (this.#perIp.get(addr) ?? 0) + 1);
    this.#perKey.set(key.name, (this.#perKey.get(key.name) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#total--;
      dec(this.#perIp, addr);
      dec(this.#perKey, key.name);
    };
  }

  /**
   * A route `preValidation` hook: refuses the upgrade before any websocket exists. 403 when no key
   * opens the protocol (closed), 401 for a missing or wrong key (or a bad AudioHook signature when
   * the key has a client secret), 503 with Retry-After over a connection cap.
   */
  guard(protocol: ForkProtocol, parser: string) {
    return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const remote = req.socket.remoteAddress;
      const r = checkKey(this.keys, protocol, req.headers, remote);
      let reason: string | undefined = r.ok ? undefined : r.reason;
      if (r.ok && protocol === 'audiohook' && r.key.clientSecret) {
        const v = verifySignature({ method: req.method, url: req.url, headers: req.headers }, r.presented ?? '', r.key.clientSecret);
        if (v !== true) reason = v;
      }
      if (reason) {
        this.metrics.badInput(parser, reason);
        req.log.warn({ reason, protocol }, 'fork connection refused');
        if (reason === 'closed') {
          return void (await reply.code(403).send(errorBody('EARSHOT_ERR_INGEST_CLOSED', `${protocol} ingest is closed: add a forks.apiKeys entry listing it (docs/ingest-security.md)`)));
        }
        const status = reason === 'forbidden-source' || reason === 'wrong-protocol' ? 403 : 401;
        return void (await reply
          .code(status)
          .header('www-authenticate', 'Bearer realm="earshot-ingest"')
          .send(errorBody('EARSHOT_ERR_UNAUTHENTICATED', 'a valid ingest API key is required')));
      }
      const key = (r as { key: IngestKey }).key;
      const release = this.reserve(key, remote);
      if (typeof release === 'string') {
        this.metrics.badInput(parser, release);
        req.log.warn({ reason: release, protocol }, 'fork connection refused: connection limit');
        return void (await reply.code(503).header('retry-after', '5').send(errorBody('EARSHOT_ERR_INGEST_BUSY', 'ingest connection limit reached')));
      }
      // The slot lives as long as the TCP connection, however the upgrade or the websocket ends.
      req.raw.socket.once('close', release);
      this.#admitted.set(req.raw, key);
    };
  }

  /** The key a guarded request was admitted with. */
  keyOf(req: FastifyRequest): IngestKey | undefined {
    return this.#admitted.get(req.raw);
  }
}

function dec(m: Map<string, number>, k: string): void {
  const n = (m.get(k) ?? 0) - 1;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}

/**
 * Closes a connection that sends no audio for `ms`: armed at connect, re-armed by each audio
 * frame; paused while the sender has said it pauses on purpose (AudioHook pause).
 */
export class IdleTimer {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    this.touch();
  }

  touch(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#stopped = true;
      this.onIdle();
    }, this.ms);
    this.#timer.unref();
  }

  pause(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
