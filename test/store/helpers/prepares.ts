import type Database from 'better-sqlite3';

/** Counts db.prepare calls on a real connection (to check a repository prepares each statement once). */
export function countPrepares(db: Database.Database): () => number {
  let n = 0;
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => (n++, prepare(sql))) as typeof db.prepare;
  return () => n;
}
