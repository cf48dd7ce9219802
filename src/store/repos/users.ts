import type Database from 'better-sqlite3';
import { LazyStatements, perConnection } from './lazy.js';

/** A users row as the auth stage reads it (the password hash never leaves the web's auth code). */
export interface UserRecord {
  id: number;
  username: string;
  role: string;
  password_hash: string;
  failed_logins: number;
  locked_until: number | null;
}

/** A live session joined with its user. */
export interface SessionRecord {
  id: number;
  username: string;
  role: string;
  csrf: string;
  expires_at: number;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  from?: number;
  to?: number;
  limit: number;
}

const nul = <T>(v: T | undefined) => (v === undefined || v === '' ? null : v);

/**
 * Console users, their sessions and the audit log (the web's auth stage). Statements are prepared
 * once, on first use. Session ids are token digests: a copy of the table opens no session.
 */
export class UsersRepo {
  static readonly for = perConnection((db) => new UsersRepo(db));
  readonly #st: LazyStatements;

  constructor(db: Database.Database) {
    this.#st = new LazyStatements(db);
  }

  count(): number {
    return this.#st.pluck('SELECT COUNT(*) FROM users').get() as number;
  }

  byName(username: string): UserRecord | undefined {
    return this.#st.get('SELECT id, username, role, password_hash, failed_logins, locked_until FROM users WHERE username = ?').get(username) as UserRecord | undefined;
  }

  idOf(username: string): number | undefined {
    return this.#st.pluck('SELECT id FROM users WHERE username = ?').get(username) as number | undefined;
  }

  lockedUntil(id: number): number | null {
    return (this.#st.pluck('SELECT locked_until FROM users WHERE id = ?').get(id) as number | null | undefined) ?? null;
  }

  insert(u: { username: string; role: string; passwordHash: string; createdAt: number }): number {
    const info = this.#st.get('INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)').run(u.username, u.role, u.passwordHash, u.createdAt);
    return Number(info.lastInsertRowid);
  }

  /** One more failed login; locks until `lockUntil` when the count reaches `maxFailures`. */
  recordFailure(id: number, maxFailures: number, lockUntil: number): void {
    this.#st
      .get(
        `UPDATE users SET failed_logins = failed_logins + 1,
           locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END
         WHERE id = ?`,
      )
      .run(maxFailures, lockUntil, id);
  }

  clearFailures(id: number): void {
    this.#st.get('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?').run(id);
  }

  /** A lock that has run out takes its failures with it: otherwise one more failure re-locks at once. */
  expireLock(id: number, at: number): void {
    this.#st.get('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ? AND locked_until IS NOT NULL AND locked_until <= ?').run(id, at);
  }

  /** The role changes and the user's sessions end, together; returns the sessions ended. */
  setRole(id: number, role: string): number {
    return this.#st.tx(() => {
      this.#st.get('UPDATE users SET role = ? WHERE id = ?').run(role, id);
      return this.endSessionsOf(id);
    });
  }

  /** The password changes (clearing any lock) and the user's sessions end; returns the sessions ended. */
  setPasswordHash(id: number, hash: string): number {
    return this.#st.tx(() => {
      this.#st.get('UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?').run(hash, id);
      return this.endSessionsOf(id);
    });
  }

  /** The user and their sessions go; audit rows keep the name. */
  delete(id: number): void {
    this.#st.tx(() => {
      this.endSessionsOf(id);
      this.#st.get('DELETE FROM users WHERE id = ?').run(id);
    });
  }

  endSessionsOf(userId: number): number {
    return this.#st.get('DELETE FROM sessions WHERE user_id = ?').run(userId).changes;
  }

  insertSession(s: { sid: string; userId: number; csrf: string; createdAt: number; expiresAt: number }): void {
    this.#st.get('INSERT INTO sessions (id, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(s.sid, s.userId, s.csrf, s.createdAt, s.expiresAt);
  }

  /** The session `sid` if it has not expired at `at`. */
  session(sid: string, at: number): SessionRecord | undefined {
    return this.#st
      .get(
        `SELECT u.id, u.username, u.role, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = ? AND s.expires_at > ?`,
      )
      .get(sid, at) as SessionRecord | undefined;
  }

  deleteSession(sid: string): void {
    this.#st.get('DELETE FROM sessions WHERE id = ?').run(sid);
  }

  purgeSessions(at: number): void {
    this.#st.get('DELETE FROM sessions WHERE expires_at <= ?').run(at);
  }

  /** Audit entries, newest first. */
  audit(f: AuditFilter): AuditEntry[] {
    return this.#st
      .get(
        `SELECT id, at, actor, action, target, detail FROM audit_log
         WHERE (@actor IS NULL OR actor = @actor) AND (@action IS NULL OR action = @action)
           AND (@from IS NULL OR at >= @from) AND (@to IS NULL OR at < @to)
         ORDER BY at DESC, id DESC LIMIT @limit`,
      )
      .all({ actor: nul(f.actor), action: nul(f.action), from: nul(f.from), to: nul(f.to), limit: f.limit }) as AuditEntry[];
  }
}
