import type Database from 'better-sqlite3';

/** Console users (the web's auth stage). Statements prepared once; more move here from src/web/auth. */
export class UsersRepo {
  readonly #count: Database.Statement;

  constructor(db: Database.Database) {
    this.#count = db.prepare('SELECT COUNT(*) FROM users').pluck();
  }

  count(): number {
    return this.#count.get() as number;
  }
}
