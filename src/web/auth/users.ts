import type Database from 'better-sqlite3';
import { hashPassword } from './passwords.js';
import { EarshotError } from '../../errors.js';

export type UserRole = 'viewer' | 'supervisor' | 'admin';
export const ROLES: readonly UserRole[] = ['viewer', 'supervisor', 'admin'];

export interface User {
  id: number;
  username: string;
  role: UserRole;
}

export interface UserRow extends User {
  password_hash: string;
  failed_logins: number;
  locked_until: number | null;
}

export class UserError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_USER_INVALID' | 'EARSHOT_ERR_USER_EXISTS' | 'EARSHOT_ERR_NOT_FOUND';
  constructor(code: 'EARSHOT_ERR_USER_INVALID' | 'EARSHOT_ERR_USER_EXISTS' | 'EARSHOT_ERR_NOT_FOUND', message: string) {
    super(code, undefined, { message });
    this.name = 'UserError';
  }
}

const USERNAME = /^[a-zA-Z0-9._-]{1,64}$/;
export const MIN_PASSWORD = 10;

/** For the CLI (`earshot user add`) and tests. Throws UserError on bad input or a taken name. */
export function createUser(db: Database.Database, u: { username: string; role: UserRole; password: string }): User {
  if (!USERNAME.test(u.username)) {
    throw new UserError('EARSHOT_ERR_USER_INVALID', 'username must be 1-64 letters, digits, dot, dash or underscore');
  }
  if (!ROLES.includes(u.role)) {
    throw new UserError('EARSHOT_ERR_USER_INVALID', `role must be one of ${ROLES.join(', ')}`);
  }
  if (typeof u.password !== 'string' || u.password.length < MIN_PASSWORD) {
    throw new UserError('EARSHOT_ERR_USER_INVALID', `password must be at least ${MIN_PASSWORD} characters`);
  }
  const exists = db.prepare('SELECT 1 FROM users WHERE username = ?').get(u.username);
  if (exists) throw new UserError('EARSHOT_ERR_USER_EXISTS', 'a user with that name already exists');
  const info = db
    .prepare('INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)')
    .run(u.username, u.role, hashPassword(u.password), Date.now());
  return { id: Number(info.lastInsertRowid), username: u.username, role: u.role };
}

export function roleAtLeast(have: UserRole, need: UserRole): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

function mustExist(db: Database.Database, username: string): number {
  const id = db.prepare('SELECT id FROM users WHERE username = ?').pluck().get(username) as number | undefined;
  if (id === undefined) throw new UserError('EARSHOT_ERR_NOT_FOUND', `no user named ${username}`);
  return id;
}

/** `earshot user unlock`: clears the failure count and the lock. Returns whether it was locked. */
export function unlockUser(db: Database.Database, username: string, now = Date.now()): boolean {
  const id = mustExist(db, username);
  const locked = db.prepare('SELECT locked_until FROM users WHERE id = ?').pluck().get(id) as number | null;
  db.prepare('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?').run(id);
  return locked !== null && locked > now;
}

// Each change below ends the user's sessions: a running server notices at its next check (live
// websockets within auth recheck, about a second) and the user logs in again.
const endSessions = (db: Database.Database, id: number) => db.prepare('DELETE FROM sessions WHERE user_id = ?').run(id).changes;

/** `earshot user role`: returns the number of sessions ended. */
export function setRole(db: Database.Database, username: string, role: UserRole): number {
  if (!ROLES.includes(role)) throw new UserError('EARSHOT_ERR_USER_INVALID', `role must be one of ${ROLES.join(', ')}`);
  const id = mustExist(db, username);
  return db.transaction(() => {
    db.prepare('UPDATE users SET role = ? WHERE id = ?').run(role, id);
    return endSessions(db, id);
  })();
}

/** `earshot user passwd`: returns the number of sessions ended. */
export function setPassword(db: Database.Database, username: string, password: string): number {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD) {
    throw new UserError('EARSHOT_ERR_USER_INVALID', `password must be at least ${MIN_PASSWORD} characters`);
  }
  const id = mustExist(db, username);
  const hash = hashPassword(password);
  return db.transaction(() => {
    db.prepare('UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?').run(hash, id);
    return endSessions(db, id);
  })();
}

/** `earshot user delete`: the user and their sessions go; audit rows keep the name. */
export function deleteUser(db: Database.Database, username: string): void {
  const id = mustExist(db, username);
  db.transaction(() => {
    endSessions(db, id);
    db.prepare('DELETE FROM users WHERE id = ?').run(id);
  })();
}
