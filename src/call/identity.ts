// Who a call is with, without keeping who they are. The caller's number becomes a keyed hash
// (HMAC-SHA256 with a per-site secret salt) the moment it reaches the registry: repeat callers can
// be counted, the number cannot be recovered or matched against another site's data. The agent
// is named by the user part of their AOR (an extension or login), and a configured map turns
// agent ids into queues when the source does not say.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CallInfo, LegInfo } from './types.js';

/** Digits of a number or SIP/tel URI; national significant part (last 10 digits) so +1 555… = 555…. */
export function callerKey(raw: string): string | undefined {
  const user = raw.replace(/^(?:sips?|tel):/iu, '').split(/[@;]/u)[0];
  const digits = user.replace(/[\s().+-]/gu, '');
  if (!/^\d{5,20}$/u.test(digits)) return undefined; // anonymous, restricted, a name, an extension-less AOR
  return digits.length > 10 ? digits.slice(-10) : digits;
}

/** The user part of an agent's AOR (`sip:2001@pbx` → `2001`), or a bare id as given. */
export function agentIdFromAor(aor: string): string | undefined {
  const user = aor.replace(/^(?:sips?|tel):/iu, '').split(/[@;]/u)[0].trim();
  return /^[\w.+-]{1,64}$/u.test(user) ? user : undefined;
}

export interface QueueRule {
  /** Regular expression tested against the agent id. */
  agent: string;
  queue: string;
}

export class CallIdentity {
  readonly #salt: string;
  readonly #queues: Array<{ re: RegExp; queue: string }>;

  constructor(salt: string, queueMap: QueueRule[] = []) {
    if (salt.length < 16) throw Object.assign(new Error('caller salt must be at least 16 characters'), { code: 'EARSHOT_ERR_CONFIG' });
    this.#salt = salt;
    this.#queues = queueMap.map((q) => ({ re: new RegExp(q.agent, 'u'), queue: q.queue }));
  }

  /** 32 hex characters, or undefined when the number is withheld or not a number. */
  customerHash(raw: string | undefined): string | undefined {
    const key = raw ? callerKey(raw) : undefined;
    return key ? createHmac('sha256', this.#salt).update(key).digest('hex').slice(0, 32) : undefined;
  }

  /**
   * Any customer identifier (chat user id, WeChat openid, e-mail address, phone number) under the
   * same keyed hash: a number hashes exactly as customerHash does, so a customer who calls and
   * chats from one number is one customer; anything else is trimmed and lower-cased first.
   */
  customerIdHash(raw: string | undefined): string | undefined {
    if (raw === undefined) return undefined;
    const phone = this.customerHash(raw);
    if (phone) return phone;
    const key = raw.trim().toLowerCase();
    return key ? createHmac('sha256', this.#salt).update(`id:${key}`).digest('hex').slice(0, 32) : undefined;
  }

  queueFor(agentId: string | undefined): string | undefined {
    return agentId === undefined ? undefined : this.#queues.find((q) => q.re.test(agentId))?.queue;
  }

  /** What a newly added leg tells about its call that the call does not know yet. */
  fromLeg(call: CallInfo, leg: LegInfo): Partial<Pick<CallInfo, 'agentId' | 'queue' | 'customerHash'>> {
    const patch: Partial<Pick<CallInfo, 'agentId' | 'queue' | 'customerHash'>> = {};
    const aor = leg.participant?.aor;
    if (!aor) return patch;
    if (leg.role === 'customer' && !call.customerHash) {
      const h = this.customerHash(aor);
      if (h) patch.customerHash = h;
    }
    if (leg.role === 'agent' && !call.agentId) {
      const id = agentIdFromAor(aor);
      if (id) {
        patch.agentId = id;
        const q = call.queue ? undefined : this.queueFor(id);
        if (q) patch.queue = q;
      }
    }
    return patch;
  }
}

/**
 * The configured salt, or the site's own one kept in the data dir (made on first start, 0600).
 * Losing it only means repeat callers are counted afresh: old hashes stop matching new calls.
 */
export function loadCallerSalt(dataDir: string, configured = ''): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'caller-salt');
  if (existsSync(file)) {
    const s = readFileSync(file, 'utf8').trim();
    if (s.length >= 16) return s;
  }
  mkdirSync(dataDir, { recursive: true });
  const salt = randomBytes(32).toString('hex');
  writeFileSync(file, `${salt}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return salt;
}
