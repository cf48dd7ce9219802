import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { StoreError, schemaNewer } from './errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrateResult {
  from: number;
  to: number;
  applied: string[];
}

const FILE = /^(\d{3})-[a-z0-9-]+\.sql$/;

/**
 * Where the SQL files live. From `src/store/` (tap, ts) they sit next to this module; after `tsc`
 * this module is in `dist/src/store/`, where `scripts/copy-assets.mjs` copies them, and if that copy
 * was skipped the source tree three levels up still has them.
 */
export function migrationDirs(): string[] {
  return [new URL('./migrations/', import.meta.url), new URL('../../../src/store/migrations/', import.meta.url)].map((u) =>
    fileURLToPath(u),
  );
}

/** Reads `NNN-name.sql` files in version order; versions must run 1..N without gaps or repeats. */
export function loadMigrations(dir?: string): Migration[] {
  const dirs = dir ? [dir] : migrationDirs();
  const found = dirs.find((d) => existsSync(d) && readdirSync(d).some((f) => FILE.test(f)));
  if (!found) throw new StoreError('EARSHOT_ERR_MIGRATIONS', `no migration files found; looked in ${dirs.join(', ')}`);
  const list = readdirSync(found)
    .filter((f) => f.endsWith('.sql'))
    .map((name) => {
      const m = FILE.exec(name);
      if (!m) throw new StoreError('EARSHOT_ERR_MIGRATIONS', `${join(found, name)}: migration files are named NNN-lowercase-name.sql`);
      return { version: Number(m[1]), name, sql: readFileSync(join(found, name), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new StoreError('EARSHOT_ERR_MIGRATIONS', `${found}: expected migration ${i + 1}, found ${m.name}`);
  });
  return list;
}

/**
 * Brings the schema to the newest version this code knows. Each file runs in its own transaction
 * together with the `user_version` bump, so a failure leaves the database at the previous version,
 * never between two. A database from a newer Earshot is refused: guessing at its schema could
 * corrupt it. Used at every open and by `earshot db migrate`.
 */
export function migrate(db: Database.Database, opts: { dir?: string } = {}): MigrateResult {
  const migrations = loadMigrations(opts.dir);
  const latest = migrations.length;
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > latest) throw schemaNewer(from, latest);
  const applied: string[] = [];
  for (const m of migrations.slice(from)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.name);
  }
  return { from, to: latest, applied };
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
