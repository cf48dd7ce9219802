import Database from 'better-sqlite3';

/**
 * A second, plain connection to a store's real file, for tests that inspect or seed tables the
 * store's API does not expose. Closed by the caller (or `t.teardown(() => db.close())`).
 */
export function openTestDb(path: string, opts: { readonly?: boolean } = {}): Database.Database {
  const db = new Database(path, { readonly: opts.readonly ?? false, timeout: 2000 });
  db.pragma('foreign_keys = ON');
  return db;
}
