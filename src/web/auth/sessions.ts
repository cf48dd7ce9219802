import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createSourceBackoff } from './lockout.js';
import { dummyHash, verifyPassword } from './passwords.js';
import { usersOf, type User, type UserRole, type UserRow, type UsersSource } from './users.js';

export interface AuthOptions {
  /** Consecutive failed logins before the account is locked. */
  maxFailures: number;
  /** How long an account stays locked; the failure count starts again from 0 when it ends. */
  lockoutMs: number;
  /** Failed logins from one source address before it is refused (doubling back-off). */
  sourceMaxFailures: number;
  /** Longest source back-off. */
  sourceMaxBlockMs: number;
  sessionTtlMs: number;
  /** A session unused this long ends; 0 = no idle limit. */
  idleMs: number;
  /** How often live websockets re-check their session. */
  recheckMs: number;
  /** Tests inject a clock; production uses Date.now. */
  clock: () => number;
}

export const DEFAULT_AUTH: AuthOptions = {
  maxFailures: 5,
  lockoutMs: 15 * 60_000,
  sourceMaxFailures: 5,
  sourceMaxBlockMs: 24 * 3600_000,
  sessionTtlMs: 12 * 3600_000,
  idleMs: 30 * 60_000,
  recheckMs: 1000,
  clock: Date.now,
};

export interface Session {
  /** The stored digest of the token: names the session without being able to open it. */
  sid: string;
  user: User;
  csrf: string;
  expiresAt: number;
}

/** What a refused attempt started: audited, never told to the caller. */
export interface LockEvent {
  kind: 'account.locked' | 'source.blocked';
  ms: number;
}

export type LoginResult =
  | { ok: true; token: string; session: Session }
  | { ok: false; reason: 'invalid' | 'locked' | 'source-blocked'; events: LockEvent[] };

export type SessionEnd = 'logout' | 'expired' | 'idle';

// The cookie carries the token; the table keeps only its SHA-256, so a copy of the database
// does not hand out live sessions.
export const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Accounts and console sessions over the users/sessions tables. Every refusal of a login looks the
 * same to the caller (the route answers one body for all); what differs is only audited.
 * Sessions end at logout, after `sessionTtlMs`, after `idleMs` without a request, and when the
 * CLI changes the user's password or role or deletes the user (it deletes their sessions).
 */
export function createSessions(src: UsersSource, opts: AuthOptions) {
  const now = opts.clock;
  const users = usersOf(src);
  const byName = (username: string) => users.byName(username) as UserRow | undefined;
  const sources = createSourceBackoff({ maxFailures: opts.sourceMaxFailures, baseMs: opts.lockoutMs, maxMs: opts.sourceMaxBlockMs, maxEntries: 10_000 });
  // Last request per session, in memory: the idle clock. After a restart every session's idle
  // clock starts at the restart (the absolute limit still holds).
  const booted = now();
  const lastSeen = new Map<string, number>();
  const ended = new Set<(sid: string, why: SessionEnd) => void>();
  const end = (sid: string, why: SessionEnd) => {
    users.deleteSession(sid);
    lastSeen.delete(sid);
    for (const fn of ended) fn(sid, why);
  };

  function bySid(sid: string, at: number, touch: boolean): Session | undefined {
    const r = users.session(sid, at);
    if (!r) {
      lastSeen.delete(sid);
      return undefined;
    }
    if (opts.idleMs > 0 && at - (lastSeen.get(sid) ?? booted) > opts.idleMs) {
      end(sid, 'idle');
      return undefined;
    }
    if (touch) lastSeen.set(sid, at);
    return { sid, user: { id: r.id, username: r.username, role: r.role as UserRole }, csrf: r.csrf, expiresAt: r.expires_at };
  }

  return {
    now,
    recheckMs: opts.recheckMs,

    async login(username: string, password: string, source: string): Promise<LoginResult> {
      if (sources.blocked(source, now())) return { ok: false, reason: 'source-blocked', events: [] };
      const row = byName(username);
      // Verify even for unknown and locked users so response time does not reveal which names exist.
      const good = await verifyPassword(password, row?.password_hash ?? dummyHash());
      const at = now();
      const events: LockEvent[] = [];
      const refuse = (reason: 'invalid' | 'locked'): LoginResult => {
        const s = sources.failure(source, at);
        if (s.startedMs) events.push({ kind: 'source.blocked', ms: s.startedMs });
        return { ok: false, reason, events };
      };
      if (!row) return refuse('invalid');
      users.expireLock(row.id, at);
      // Re-read after the await: a parallel attempt may have locked the account meanwhile.
      const fresh = byName(username) ?? row;
      // Attempts on a locked account do not count against it: they cannot extend the lock.
      if (fresh.locked_until && fresh.locked_until > at) return refuse('locked');
      if (!good) {
        users.recordFailure(row.id, opts.maxFailures, at + opts.lockoutMs);
        const after = byName(username);
        const lockedNow = Boolean(after?.locked_until && after.locked_until > at);
        if (lockedNow) events.push({ kind: 'account.locked', ms: opts.lockoutMs });
        return refuse(lockedNow ? 'locked' : 'invalid');
      }
      users.clearFailures(row.id);
      sources.success(source, at);
      users.purgeSessions(at);
      // Idle clocks of sessions nobody uses any more (browser closed) would otherwise stay forever.
      for (const [sid, seen] of lastSeen) if (at - seen > opts.sessionTtlMs) lastSeen.delete(sid);
      const token = randomBytes(32).toString('hex');
      const sid = digest(token);
      const csrf = randomBytes(24).toString('base64url');
      const expiresAt = at + opts.sessionTtlMs;
      users.insertSession({ sid, userId: row.id, csrf, createdAt: at, expiresAt });
      lastSeen.set(sid, at);
      return { ok: true, token, session: { sid, user: { id: row.id, username: row.username, role: row.role }, csrf, expiresAt } };
    },

    /** The session of a cookie token; `touch` (a request by the user) restarts its idle clock. */
    get(token: string | undefined, opt: { touch?: boolean; at?: number } = {}): Session | undefined {
      if (!token || !/^[0-9a-f]{64}$/.test(token)) return undefined;
      return bySid(digest(token), opt.at ?? now(), opt.touch ?? false);
    },

    /** Re-checks a session by its digest without counting as use (live websockets). */
    check(sid: string): Session | undefined {
      return bySid(sid, now(), false);
    },

    /** When the session stops being valid without any change to it (absolute or idle limit). */
    deadline(s: Session): number {
      const idle = opts.idleMs > 0 ? (lastSeen.get(s.sid) ?? booted) + opts.idleMs : Infinity;
      return Math.min(s.expiresAt, idle);
    },

    logout(token: string): void {
      end(digest(token), 'logout');
    },

    /** Called with a session's digest when this process ends it (logout, idle). */
    onEnd(fn: (sid: string, why: SessionEnd) => void): () => void {
      ended.add(fn);
      return () => ended.delete(fn);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
