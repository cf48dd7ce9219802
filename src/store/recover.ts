import Database from 'better-sqlite3';

/**
 * Crash recovery. A call still `active` when the store opens was live in a process that died (kill -9,
 * power loss): nothing will ever end it. It is marked `interrupted` and given `ended_at` = its start
 * plus the latest call-relative time we hold for it (end of the last utterance or the last call event),
 * i.e. the last moment we know the call was alive, not the unknown moment of the crash. A call with
 * nothing recorded gets `ended_at` = `started_at`. Returns the number of calls marked.
 */
export function markInterruptedCalls(db: Database.Database): number {
  return db
    .prepare(
      `WITH last AS (
         SELECT c.id,
                MAX(COALESCE((SELECT MAX(u.end_ms) FROM utterances u WHERE u.call_id = c.id), 0),
                    COALESCE((SELECT MAX(e.t_ms) FROM call_events e WHERE e.call_id = c.id), 0), 0) AS ms
         FROM calls c WHERE c.state = 'active')
       UPDATE calls SET state = 'interrupted', ended_at = calls.started_at + last.ms, duration_ms = last.ms
       FROM last WHERE calls.id = last.id`,
    )
    .run().changes;
}

/**
 * Only the process that owns the live calls may declare the others' calls dead: `earshot import`,
 * `earshot db backup` or a second `serve` opening the same database while `serve` runs must not
 * mark that server's live calls interrupted. Ownership is an exclusive SQLite lock on a side file
 * (`<db>-owner`), held for as long as the store is open. The OS drops the lock when the process
 * dies, even by SIGKILL, so after a crash the next opener becomes owner and recovers.
 * Returns the lock's connection (close it to release), or undefined when another opener owns it.
 */
export function claimOwnership(dbPath: string): Database.Database | undefined {
  const lock = new Database(`${dbPath}-owner`, { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // The first write in EXCLUSIVE mode takes the file lock and keeps it until close.
    lock.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER); DELETE FROM owner;');
    lock.prepare('INSERT INTO owner VALUES (?)').run(process.pid);
    return lock;
  } catch (err) {
    lock.close();
    if (String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY')) return undefined;
    throw err;
  }
}
