import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import { dummyHash, verifyPassword } from './passwords.js';
import type { User, UserRole, UserRow } from './users.js';

export interface AuthOptions {
  /** Failed logins before the account is locked. */
  maxFailures: number;
  lockoutMs: number;
  sessionTtlMs: number;
}

export const DEFAULT_AUTH: AuthOptions = { maxFailures: 5, lockoutMs: 15 * 60_000, sessionTtlMs: 12 * 3600_000 };

export interface Session {
  user: User;
  csrf: string;
  expiresAt: number;
}

export type LoginResult =
  | { ok: true; token: string; session: Session }
  | { ok: false; reason: 'invalid' | 'locked' };

// The cookie carries the token; the table keeps only its SHA-256, so a copy of the database
// does not hand out live sessions.
const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export function createSessions(db: Database.Database, opts: AuthOptions) {
  const byName = db.prepare<[string], UserRow>(
    'SELECT id, username, role, password_hash, failed_logins, locked_until FROM users WHERE username = ?',
  );
  const recordFailure = db.prepare(
    `UPDATE users SET failed_logins = failed_logins + 1,
       locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END
     WHERE id = ?`,
  );
  const clearFailures = db.prepare('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?');
  const insert = db.prepare('INSERT INTO sessions (id, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
  const lookup = db.prepare<[string, number], { id: number; username: string; role: UserRole; csrf: string; expires_at: number }>(
    `SELECT u.id, u.username, u.role, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id = ? AND s.expires_at > ?`,
  );
  const remove = db.prepare('DELETE FROM sessions WHERE id = ?');
  const purge = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');

  return {
    async login(username: string, password: string, now = Date.now()): Promise<LoginResult> {
      const row = byName.get(username);
      // Verify even for unknown users so response time does not reveal which names exist.
      const good = await verifyPassword(password, row?.password_hash ?? dummyHash());
      if (!row) return { ok: false, reason: 'invalid' };
      // Re-read after the await: a parallel attempt may have locked the account meanwhile.
      const fresh = byName.get(username) ?? row;
      if (fresh.locked_until && fresh.locked_until > now) return { ok: false, reason: 'locked' };
      if (!good) {
        recordFailure.run(opts.maxFailures, now + opts.lockoutMs, row.id);
        const after = byName.get(username);
        return { ok: false, reason: after?.locked_until && after.locked_until > now ? 'locked' : 'invalid' };
      }
      clearFailures.run(row.id);
      purge.run(now);
      const token = randomBytes(32).toString('hex');
      const csrf = randomBytes(24).toString('base64url');
      const expiresAt = now + opts.sessionTtlMs;
      insert.run(digest(token), row.id, csrf, now, expiresAt);
      return { ok: true, token, session: { user: { id: row.id, username: row.username, role: row.role }, csrf, expiresAt } };
    },

    get(token: string | undefined, now = Date.now()): Session | undefined {
      if (!token || !/^[0-9a-f]{64}$/.test(token)) return undefined;
      const r = lookup.get(digest(token), now);
      return r ? { user: { id: r.id, username: r.username, role: r.role }, csrf: r.csrf, expiresAt: r.expires_at } : undefined;
    },

    logout(token: string): void {
      remove.run(digest(token));
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
