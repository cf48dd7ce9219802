import { rmSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import { RecordingsRepo } from './repos/recordings.js';
import { SipLogRepo } from './repos/sip-log.js';
import { connectionOf } from './store.js';
import type { Store } from './types.js';

export type RetentionConfig = Config['retention'];
export type PurgeKind = 'utterances' | 'calls' | 'legs' | 'call_events' | 'kpi_rollups' | 'audit_log' | 'outbox' | 'recordings' | 'sip_log' | 'alarms';
export type PurgeCounts = Record<PurgeKind, number>;

const DAY = 86_400_000;
/** Delivered webhook and sync rows are kept a week for troubleshooting, then dropped. */
export const OUTBOX_KEEP_MS = 7 * DAY;
/**
 * Resolved alarms past retention.alarmsDays, through alarms_resolved (migration 011; INDEXED BY, as the
 * planner without statistics would take alarms_state); open and acked alarms stay.
 */
export const PURGE_ALARMS_SQL = `SELECT id FROM alarms INDEXED BY alarms_resolved WHERE state = 'resolved' AND resolved_at < ? LIMIT ?`;
const KINDS: PurgeKind[] = ['utterances', 'calls', 'legs', 'call_events', 'kpi_rollups', 'audit_log', 'outbox', 'recordings', 'sip_log', 'alarms'];

/**
 * Deletes what is past its retention: utterances (the transcript) of calls that started more than
 * transcriptsDays ago; calls with their legs, utterances and events after callsDays (alarms and
 * surveys stay, unlinked); kpi_rollups after aggregatesDays; audit_log after auditDays; delivered
 * outbox rows after 7 days; recording files (and rows) after audioDays or with their call; SIP log rows
 * with their call (a dialog that never had one: after callsDays); resolved alarms alarmsDays after
 * they were resolved (open and acked alarms stay, however old). "Older than
 * N days" is strictly before now − N days.
 */
export function purge(db: Database.Database, retention: RetentionConfig, now = Date.now(), opts: { batchSize?: number } = {}): PurgeCounts {
  const steps = purgeSteps(db, retention, now, opts.batchSize ?? 2000);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The purge as a sequence of small transactions; yields between them so the daily job can let
 * the event loop (and the store's writer) run while a large backlog is deleted.
 */
export function* purgeSteps(
  db: Database.Database,
  retention: RetentionConfig,
  now: number,
  batchSize: number,
  counts: PurgeCounts = zeroCounts(),
): Generator<void, PurgeCounts> {
  const ids = (rows: unknown[]) => JSON.stringify((rows as { id: string }[]).map((r) => r.id));

  // Calls first: their transcripts go with them, so the transcript pass has less to do.
  const oldCalls = db.prepare(`SELECT id FROM calls WHERE started_at < ? ORDER BY started_at LIMIT ?`);
  const inList = `(SELECT value FROM json_each(?))`;
  const sipLog = new SipLogRepo(db);
  const delCallRows = db.transaction((list: string) => {
    counts.sip_log += sipLog.purgeCalls(list);
    counts.utterances += db.prepare(`DELETE FROM utterances WHERE call_id IN ${inList}`).run(list).changes;
    counts.call_events += db.prepare(`DELETE FROM call_events WHERE call_id IN ${inList}`).run(list).changes;
    counts.legs += db.prepare(`DELETE FROM legs WHERE call_id IN ${inList}`).run(list).changes;
    // What the foreign keys would do, done explicitly in case the connection has them off.
    for (const table of ['alarms', 'surveys', 'imports']) db.prepare(`UPDATE ${table} SET call_id = NULL WHERE call_id IN ${inList}`).run(list);
    counts.calls += db.prepare(`DELETE FROM calls WHERE id IN ${inList}`).run(list).changes;
  });
  for (;;) {
    const rows = oldCalls.all(now - retention.callsDays * DAY, batchSize);
    if (rows.length === 0) break;
    delCallRows(ids(rows));
    yield;
    if (rows.length < batchSize) break;
  }

  // SIP log rows of dialogs that never became a call (rejected INVITEs): the calls window too.
  for (;;) {
    const n = db.transaction(() => sipLog.purgeOrphans(now - retention.callsDays * DAY, batchSize))();
    counts.sip_log += n;
    if (n > 0) yield;
    if (n < batchSize) break;
  }

  // Transcripts: walk the calls past the transcript cutoff once, in start order, with a cursor.
  const page = db.prepare(`SELECT id, started_at AS at FROM calls WHERE started_at < @cutoff
                           AND (started_at > @at OR (started_at = @at AND id > @id)) ORDER BY started_at, id LIMIT @n`);
  const delUtterances = db.prepare(`DELETE FROM utterances WHERE call_id IN ${inList}`);
  const cursor = { cutoff: now - retention.transcriptsDays * DAY, at: Number.MIN_SAFE_INTEGER, id: '', n: batchSize };
  for (;;) {
    const rows = page.all(cursor) as { id: string; at: number }[];
    if (rows.length === 0) break;
    counts.utterances += db.transaction(() => delUtterances.run(ids(rows)).changes)();
    const last = rows[rows.length - 1];
    Object.assign(cursor, { at: last.at, id: last.id });
    yield;
    if (rows.length < batchSize) break;
  }

  const simple: [PurgeKind, string, number][] = [
    ['kpi_rollups', `SELECT rowid FROM kpi_rollups WHERE bucket_start < ? LIMIT ?`, now - retention.aggregatesDays * DAY],
    ['audit_log', `SELECT id FROM audit_log WHERE at < ? LIMIT ?`, now - retention.auditDays * DAY],
    ['outbox', `SELECT id FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ? LIMIT ?`, now - OUTBOX_KEEP_MS],
    ['alarms', PURGE_ALARMS_SQL, now - retention.alarmsDays * DAY],
  ];
  for (const [kind, select, cutoff] of simple) {
    const del = db.prepare(`DELETE FROM ${kind} WHERE rowid IN (${select})`);
    for (;;) {
      const n = db.transaction(() => del.run(cutoff, batchSize).changes)();
      counts[kind] += n;
      if (n > 0) yield;
      if (n < batchSize) break;
    }
  }
  // Recordings: the file first, then its row, so a crash in between leaves a row to retry, never an orphan file.
  const recordings = new RecordingsRepo(db);
  let after = 0;
  for (;;) {
    const due = recordings.due(now - retention.audioDays * DAY, batchSize, after);
    if (due.length === 0) break;
    for (const r of due) {
      after = r.id;
      try {
        rmSync(r.path, { force: true });
      } catch {
        continue; // not removable now (permissions, I/O): the row stays and the next run retries
      }
      recordings.delete(r.id);
      counts.recordings++;
    }
    yield;
    if (due.length < batchSize) break;
  }
  return counts;
}

export interface RetentionDeps {
  config: Pick<Config, 'retention'>;
  log: Logger;
  store: Pick<Store, 'path' | 'audit'>;
  metrics: Metrics;
}

export interface RetentionJob {
  /** One purge now (also what the daily timer runs). */
  run(now?: number): Promise<PurgeCounts>;
  close(): Promise<void>;
}

/** Runs the purge a minute after start and then daily, in small transactions, and reports it. */
export function createRetentionJob(deps: RetentionDeps, opts: { firstRunMs?: number; everyMs?: number; batchSize?: number } = {}): RetentionJob {
  const { config, log, store } = deps;
  const db = connectionOf(store);
  const m = retentionMetrics(deps.metrics.registry, store.path, () => new RecordingsRepo(db).total());
  let running: Promise<PurgeCounts> | undefined;
  let closed = false;

  async function runOnce(now: number): Promise<PurgeCounts> {
    const counts = zeroCounts();
    const steps = purgeSteps(db, config.retention, now, opts.batchSize ?? 2000, counts);
    // Stop between transactions on close; what was deleted so far is still reported.
    let finished = false;
    while (!closed && !(finished = steps.next().done === true)) await new Promise((resolve) => setImmediate(resolve));
    for (const k of KINDS) if (counts[k] > 0) m.purged.inc({ kind: k }, counts[k]);
    if (finished) {
      m.lastRun.set(Date.now() / 1000);
      // After a purge the table sizes have moved: refresh the planner's statistics where stale.
      db.pragma('optimize');
    }
    const total = KINDS.reduce((s, k) => s + counts[k], 0);
    if (total > 0) store.audit('system', 'retention.purge', undefined, JSON.stringify(counts));
    log.info({ purged: counts }, 'retention purge done');
    return counts;
  }

  const run = (now = Date.now()): Promise<PurgeCounts> => {
    running ??= runOnce(now).finally(() => (running = undefined));
    return running;
  };
  const safeRun = () => void run().catch((err: unknown) => log.error({ err }, 'retention purge failed'));
  const first = setTimeout(safeRun, opts.firstRunMs ?? 60_000).unref();
  const daily = setInterval(safeRun, opts.everyMs ?? DAY).unref();

  return {
    run,
    async close() {
      closed = true;
      clearTimeout(first);
      clearInterval(daily);
      await running?.catch(() => undefined);
    },
  };
}

function zeroCounts(): PurgeCounts {
  return Object.fromEntries(KINDS.map((k) => [k, 0])) as PurgeCounts;
}

interface RetentionMetrics {
  purged: Counter<'kind'>;
  lastRun: Gauge;
}
const byRegistry = new WeakMap<Registry, RetentionMetrics>();

function retentionMetrics(registry: Registry, dbPath: string, recordingsTotal?: () => { bytes: number }): RetentionMetrics {
  const cached = byRegistry.get(registry);
  if (cached) return cached;
  const registers = [registry];
  const m: RetentionMetrics = {
    purged: new Counter({ name: 'earshot_retention_purged_rows_total', help: 'Rows deleted by retention, by kind', labelNames: ['kind'] as const, registers }),
    lastRun: new Gauge({ name: 'earshot_retention_last_run_timestamp_seconds', help: 'When the retention purge last finished', registers }),
  };
  new Gauge({
    name: 'earshot_data_free_bytes',
    help: 'Free space on the filesystem holding the database',
    registers,
    collect() {
      try {
        const s = statfsSync(dirname(dbPath));
        this.set(s.bavail * s.bsize);
      } catch {
        // in-memory or removed database: nothing to report
      }
    },
  });
  new Gauge({
    name: 'earshot_recordings_stored_bytes',
    help: 'Bytes of encrypted recordings on disk, as recorded in the database',
    registers,
    collect() {
      try {
        this.set(recordingsTotal?.().bytes ?? 0);
      } catch {
        // store closed
      }
    },
  });
  byRegistry.set(registry, m);
  return m;
}
