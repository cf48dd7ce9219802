// The SQLite store (better-sqlite3, WAL). main.ts wires:
//   const store = openStore({ path, log, metrics });  // migrates, recovers crashed calls
//   connectStore(store, bus);                          // before stages that read `utterance.id`
//   ...  store.close();                                // flushes, checkpoints, closes
// Hot-path writes (calls, legs, stats, utterances, events) are queued and committed per tick;
// alarms, audit and import ledger writes are committed at once. See open.ts, writer.ts, recover.ts.
export { openStore, type OpenStoreOptions } from './open.js';
export { createReadPool, type ReadPool, type ReadPoolOptions, type RunOptions } from './read-pool.js';
export { READS, type ReadName, type ReadTask } from './reads/index.js';
export { connectStore } from './connect.js';
export { createRepos, type Repos, type SipLogRow, type SipLogEntry } from './repos/index.js';
export { backup } from './backup.js';
export { toAlarm } from './rows.js';
export { migrate, loadMigrations, migrationDirs, schemaVersion, type MigrateResult } from './migrate.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export type * from './types.js';
