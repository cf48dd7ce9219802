import Database from 'better-sqlite3';
import { connectionOf } from '../../src/store/store.js';

/**
 * A second, plain connection to a store's real file, for tests that inspect or seed tables the
 * store's API does not expose. Closed by the caller (or `t.teardown(() => db.close())`).
 */
export function openTestDb(path: string, opts: { readonly?: boolean } = {}): Database.Database {
  const db = new Database(path, { readonly: opts.readonly ?? false, timeout: 2000 });
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * The store's own connection, for tests that seed or inspect rows on it directly (the store exposes
 * none: stages use `store.repos`). Not for src/: test/store/boundary.test.ts fails on that.
 */
export function dbOf(store: object): Database.Database {
  return connectionOf(store);
}
