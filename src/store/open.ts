import Database from 'better-sqlite3';
import { pino, type Logger } from 'pino';
import type { Metrics } from '../metrics/registry.js';
import { storeMetrics } from './metrics.js';
import { IdBlocks } from './ids.js';
import { loadMigrations, migrate, schemaVersion } from './migrate.js';
import { schemaNewer } from './errors.js';
import { claimOwnership, markInterruptedCalls } from './recover.js';
import { prepareStatements } from './repository.js';
import { createReadPool } from './read-pool.js';
import { SqliteStore } from './store.js';
import type { Store } from './types.js';
import { BatchWriter, type WriterOptions } from './writer.js';

export interface OpenStoreOptions {
  path: string;
  log?: Logger;
  metrics?: Metrics;
  /**
   * Mark calls left `active` by a crashed process as `interrupted` (default true). Happens only if
   * this opener owns the database (see claimOwnership): a CLI opening it beside `serve` never does.
   */
  recover?: boolean;
  /** Calls live on other nodes (a cluster's core): their end arrives over the bus, so active ones are kept. */
  callsElsewhere?: boolean;
  /** Wait for another connection's lock before failing with SQLITE_BUSY (default 500 ms). */
  busyTimeoutMs?: number;
  /** Override migration lookup (tests). */
  migrationsDir?: string;
  writer?: Partial<WriterOptions>;
  /** Start the heavy-read pool (`store.reads`); only `serve` does, a CLI command needs no threads. */
  reads?: { workers?: number; timeoutMs?: number; maxQueue?: number; stageTasks?: URL[] };
  /** Ids reserved per round trip to `id_blocks` (default 1000). */
  idBlockSize?: number;
}

const WRITER_DEFAULTS: WriterOptions = { maxBatchRows: 2000, maxQueueRows: 200_000, retryMinMs: 100, retryMaxMs: 5000 };

/**
 * Opens (creating if needed) and migrates the database, recovers calls interrupted by a crash, and
 * returns the store. Throws EARSHOT_ERR_SCHEMA_NEWER for a database from a newer Earshot.
 */
export function openStore(opts: OpenStoreOptions): Store {
  const log = (opts.log ?? pino({ level: 'silent' })).child({ stage: 'store' });
  const m = storeMetrics(opts.metrics);
  // A short busy wait: the only other writers are occasional CLI commands, and a long wait would
  // stall the event loop (and live audio) while the writer can simply retry the batch later.
  const db = new Database(opts.path, { timeout: opts.busyTimeoutMs ?? 500 });
  let owner: Database.Database | undefined;
  try {
    // Refuse a newer schema before touching the file at all (even switching it to WAL).
    refuseNewer(db, opts.migrationsDir);
    db.pragma('journal_mode = WAL');
    // WAL + synchronous=NORMAL: a commit is in the WAL (the OS has it) before the call returns, so a
    // process crash (kill -9, the failure the tests inject) loses nothing committed; only a power
    // loss may drop the last few transactions, never corrupt the file. FULL would fsync every
    // batch for protection the appliance's hot path does not need.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const { from, to, applied } = migrate(db, { dir: opts.migrationsDir });
    if (applied.length) log.info({ from, to, applied }, 'database migrated');
    // Planner statistics for the dashboard's indexes (cheap: only tables that need it, bounded work).
    db.pragma('optimize = 0x10002');
    if (opts.recover !== false) {
      owner = opts.path === ':memory:' ? undefined : claimOwnership(opts.path);
      if (owner && !opts.callsElsewhere) {
        const n = markInterruptedCalls(db);
        if (n) {
          m.interrupted.inc(n);
          log.warn({ calls: n }, 'calls left active by an earlier crash marked interrupted');
        }
      } else if (opts.path !== ':memory:') {
        log.info('another process owns this database; its active calls are left alone');
      }
    }
    const idBlock = opts.idBlockSize ?? 1000;
    const ids = [new IdBlocks(db, 'utterances', idBlock, log), new IdBlocks(db, 'call_events', idBlock, log)] as const;
    const writer = new BatchWriter(db, { ...WRITER_DEFAULTS, ...opts.writer }, log, m);
    const lock = owner;
    const onClose = () => {
      // Workers end off the caller's path: close() stays synchronous for shutdown and the CLI.
      store.reads?.close().catch((err: unknown) => log.warn({ code: (err as { code?: string }).code }, 'read pool close failed'));
      m.files.delete(opts.path);
      lock?.close();
    };
    // Workers open the file read-only, so they start after migration and see the current schema.
    const reads = opts.reads && !db.memory ? createReadPool({ path: opts.path, ...opts.reads, metrics: opts.metrics, log }) : undefined;
    const store = new SqliteStore(db, opts.path, prepareStatements(db), writer, log, m, onClose, ...ids);
    if (reads) store.reads = reads;
    m.files.add(opts.path);
    return store;
  } catch (err) {
    owner?.close();
    db.close();
    throw err;
  }
}

function refuseNewer(db: Database.Database, dir?: string): void {
  const latest = loadMigrations(dir).length;
  const current = schemaVersion(db);
  if (current > latest) throw schemaNewer(current, latest);
}
