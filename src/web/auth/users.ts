import type Database from 'better-sqlite3';
import { hashPassword } from './passwords.js';
import { EarshotError } from '../../errors.js';
import { UsersRepo } from '../../store/repos/users.js';

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

/** The users repository, or a connection to take it from (the CLI and tests hold a store's `db`). */
export type UsersSource = UsersRepo | Database.Database;
export const usersOf = (src: UsersSource): UsersRepo => (src instanceof UsersRepo ? src : UsersRepo.for(src));

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
export function createUser(src: UsersSource, u: { username: string; role: UserRole; password: string }): User {
  if (!USERNAME.test(u.username)) {
    throw new UserError('EARSHOT_ERR_USER_INVALID', 'username must be 1-64 letters, digits, dot, dash or underscore');
  }
  if (!ROLES.includes(u.role)) {
    throw new UserError('EARSHOT_ERR_USER_INVALID', `role must be one of ${ROLES.join(', ')}`);
  }
  if (typeof u.password !== 'string' || u.password.length < MIN_PASSWORD) {
    throw new UserError('EARSHOT_ERR_USER_INVALID', `password must be at least ${MIN_PASSWORD} characters`);
  }
  const users = usersOf(src);
  if (users.idOf(u.username) !== undefined) throw new UserError('EARSHOT_ERR_USER_EXISTS', 'a user with that name already exists');
  const id = users.insert({ username: u.username, role: u.role, passwordHash: hashPassword(u.password), createdAt: Date.now() });
  return { id, username: u.username, role: u.role };
}

export function roleAtLeast(have: UserRole, need: UserRole): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

function mustExist(users: UsersRepo, username: string): number {
  const id = users.idOf(username);
  if (id === undefined) throw new UserError('EARSHOT_ERR_NOT_FOUND', `no user named ${username}`);
  return id;
}

/** `earshot user unlock`: clears the failure count and the lock. Returns whether it was locked. */
export function unlockUser(src: UsersSource, username: string, now = Date.now()): boolean {
  const users = usersOf(src);
  const id = mustExist(users, username);
  const locked = users.lockedUntil(id);
  users.clearFailures(id);
  return locked !== null && locked > now;
}

// Each change below ends the user's sessions: a running server notices at its next check (live
// websockets within auth recheck, about a second) and the user logs in again.

/** `earshot user role`: returns the number of sessions ended. */
export function setRole(src: UsersSource, username: string, role: UserRole): number {
  if (!ROLES.includes(role)) throw new UserError('EARSHOT_ERR_USER_INVALID', `role must be one of ${ROLES.join(', ')}`);
  const users = usersOf(src);
  return users.setRole(mustExist(users, username), role);
}

/** `earshot user passwd`: returns the number of sessions ended. */
export function setPassword(src: UsersSource, username: string, password: string): number {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD) {
    throw new UserError('EARSHOT_ERR_USER_INVALID', `password must be at least ${MIN_PASSWORD} characters`);
  }
  const users = usersOf(src);
  const id = mustExist(users, username);
  return users.setPasswordHash(id, hashPassword(password));
}

/** `earshot user delete`: the user and their sessions go; audit rows keep the name. */
export function deleteUser(src: UsersSource, username: string): void {
  const users = usersOf(src);
  users.delete(mustExist(users, username));
}
