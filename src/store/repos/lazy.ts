import type Database from 'better-sqlite3';

/**
 * Statements prepared on first use, then kept (one per SQL text): a repository whose tables come
 * from a later migration must not stop a store on an older schema from opening (upgrade tests,
 * read-only connections), and a statement built from filters is prepared once per combination.
 */
export class LazyStatements {
  readonly #cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let st = this.#cache.get(sql);
    if (!st) this.#cache.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /** The statement returning its first column only. */
  pluck(sql: string): Database.Statement {
    const key = `pluck\u0000${sql}`;
    let st = this.#cache.get(key);
    if (!st) this.#cache.set(key, (st = this.db.prepare(sql).pluck()));
    return st;
  }

  /** Runs `fn` in one transaction. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

/** One repository per connection, so each statement is prepared once whoever asks for it. */
export function perConnection<R>(make: (db: Database.Database) => R): (db: Database.Database) => R {
  const by = new WeakMap<Database.Database, R>();
  return (db) => {
    let r = by.get(db);
    if (!r) by.set(db, (r = make(db)));
    return r;
  };
}
