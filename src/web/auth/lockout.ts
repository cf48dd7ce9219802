import { isIPv6 } from 'node:net';

/**
 * Back-off per source address, in memory: after `maxFailures` failed logins from one address
 * (whatever names it tried) that address is refused for `baseMs`, doubling with each block up to
 * `maxMs`. Refused attempts are not checked at all, so they neither cost a password hash nor count
 * against any account: a guessing address cannot keep re-locking an account faster than its own
 * back-off lets it. A success clears the failure count but not the block count (an insider with an
 * account of their own cannot reset their back-off); an address is forgotten `maxMs` after its
 * last failure.
 */
export interface SourceBackoffOptions {
  maxFailures: number;
  baseMs: number;
  maxMs: number;
  /** Addresses remembered at most (the oldest is forgotten first): memory stays bounded under a spray. */
  maxEntries: number;
}

interface Entry {
  failures: number;
  blocks: number;
  blockedUntil: number;
  lastFailure: number;
}

export interface SourceBlock {
  blocked: boolean;
  /** Set when this failure started a block, with its length. */
  startedMs?: number;
}

/**
 * The unit an address backs off in: an IPv4 address (also when IPv4-mapped), or the /64 of an
 * IPv6 address, since one host is usually given a whole /64 and could otherwise rotate through it.
 */
export function sourceKey(addr: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  if (v4) return v4[1];
  if (!isIPv6(addr)) return addr;
  const [head, tail = ''] = addr.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = addr.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export function createSourceBackoff(opts: SourceBackoffOptions) {
  const entries = new Map<string, Entry>();
  const live = (addr: string, now: number): Entry | undefined => {
    const e = entries.get(sourceKey(addr));
    if (e && e.blockedUntil <= now && now - e.lastFailure > opts.maxMs) {
      entries.delete(sourceKey(addr));
      return undefined;
    }
    return e;
  };
  return {
    blocked(addr: string, now: number): boolean {
      const e = live(addr, now);
      return e !== undefined && e.blockedUntil > now;
    },
    failure(addr: string, now: number): SourceBlock {
      let e = live(addr, now);
      if (!e) {
        if (entries.size >= opts.maxEntries) entries.delete(entries.keys().next().value!);
        e = { failures: 0, blocks: 0, blockedUntil: 0, lastFailure: now };
        entries.set(sourceKey(addr), e);
      }
      e.failures++;
      e.lastFailure = now;
      if (e.failures < opts.maxFailures) return { blocked: false };
      e.failures = 0;
      e.blocks++;
      const ms = Math.min(opts.baseMs * 2 ** (e.blocks - 1), opts.maxMs);
      e.blockedUntil = now + ms;
      return { blocked: true, startedMs: ms };
    },
    success(addr: string, now: number): void {
      const e = live(addr, now);
      if (e) e.failures = 0;
    },
  };
}
