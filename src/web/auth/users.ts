import type Database from 'better-sqlite3';
import { hashPassword } from './passwords.js';

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

export class UserError extends Error {
  constructor(
    readonly code: 'EARSHOT_ERR_USER_INVALID' | 'EARSHOT_ERR_USER_EXISTS',
    message: string,
  ) {
    super(message);
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
