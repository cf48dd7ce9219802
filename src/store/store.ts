import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Alarm, AlarmState, CallEvent, CallInfo, CallState, EndReason, LegInfo, LegStats, Utterance } from '../call/types.js';
import { StoreError, notFound } from './errors.js';
import type { StoreMetrics } from './metrics.js';
import type { IdBlocks } from './ids.js';
import { schemaVersion } from './migrate.js';
import type { ReadPool } from './read-pool.js';
import type { Statements } from './repository.js';
import { createRepos, type Repos } from './repos/index.js';
import { toAlarm, toCall, toCallEvent, toImport, toLeg, toUtterance } from './rows.js';
import type { AlarmFilter, AlarmRow, CallEventRow, CallRow, ImportRow, Store } from './types.js';
import type { BatchWriter, WriteKind } from './writer.js';

type Raw = Record<string, unknown>;

let connection: (s: SqliteStore) => Database.Database;

/**
 * The store's connection, for src/store and tests only: it is not exported from src/store/index.ts, and
 * test/store/boundary.test.ts fails when a file in src/ outside src/store reaches for it. Stages use
 * `store.repos.*` and the store's methods.
 */
export function connectionOf(store: object): Database.Database {
  if (!(store instanceof SqliteStore)) throw new TypeError('not a SqliteStore');
  return connection(store);
}

/** The `Store` over one better-sqlite3 connection: queued hot-path writes, synchronous rare ones. */
export class SqliteStore implements Store {
  static {
    connection = (s) => s.#db;
  }

  reads?: ReadPool;
  readonly #db: Database.Database;

  constructor(
    db: Database.Database,
    readonly path: string,
    private readonly st: Statements,
    private readonly writer: BatchWriter,
    private readonly log: Logger,
    private readonly m: StoreMetrics,
    private readonly onClose: () => void,
    // Ids are handed out at enqueue so callers (alarm evidence, console) can use them at once.
    private readonly utteranceIds: IdBlocks,
    private readonly eventIds: IdBlocks,
  ) {
    this.#db = db;
    this.repos = createRepos(db);
  }

  readonly repos: Repos;

  /** False once closed (readiness). */
  isOpen(): boolean {
    return this.#db.open;
  }

  /** The migrations applied to this file (`PRAGMA user_version`). */
  schemaVersion(): number {
    return schemaVersion(this.#db);
  }

  get pendingRows(): number {
    return this.writer.pending;
  }

  upsertCall(c: CallInfo): void {
    const args = [c.callId, c.ingest, c.externalId, c.startedAt, c.agentId ?? null, c.queue ?? null, c.customerHash ?? null, c.source ?? null, c.channel ?? 'voice'];
    this.#queue('call', () => this.#upsertCall(args), true);
  }

  endCall(callId: string, state: CallState, endedAt: number, summary?: unknown, reason?: EndReason): void {
    const json = this.#json('call-end', summary);
    if (json === false) return;
    this.#queue('call-end', () => this.st.endCall.run(state, endedAt, endedAt, json, reason ?? null, callId), true);
  }

  addLeg(l: LegInfo): void {
    // Participant name/AOR is PII and has no column: it is deliberately not stored.
    const args = [l.legId, l.callId, l.role, l.label, l.codec ?? null];
    this.#queue('leg', () => this.st.upsertLeg.run(args), true);
  }

  setLegStats(legId: string, stats: LegStats): void {
    const json = this.#json('leg-stats', stats);
    if (json === false) return;
    this.#queue('leg-stats', () => this.st.legStats.run(json, legId));
  }

  /** Returns the id the utterance will have, or 0 when it was refused (counted, logged). */
  addUtterance(u: Utterance): number {
    const categories = this.#json('utterance', u.categories ?? []);
    if (categories === false) return 0;
    const id = this.utteranceIds.peek();
    const args = [id, u.callId, u.legId, u.role, u.seq, u.startMs, u.endMs, u.text, u.lang ?? 'unknown', u.sentiment ?? 0,
      u.emotion ?? 'neutral', u.emotionConfidence ?? 0, categories, u.redactions ?? 0];
    if (!this.#queue('utterance', () => this.st.insertUtterance.run(args))) return 0;
    return this.utteranceIds.take();
  }

  /** Returns the id the event will have, or 0 when it was refused. DTMF digits are stripped if present. */
  addCallEvent(e: CallEvent): number {
    const data = this.#json('event', e.kind === 'dtmf' ? withoutDigits(e.data) : e.data);
    if (data === false) return 0;
    const id = this.eventIds.peek();
    const args = [id, e.callId, e.legId ?? null, e.kind, e.tMs, data];
    if (!this.#queue('event', () => this.st.insertEvent.run(args))) return 0;
    return this.eventIds.take();
  }

  progressImport(sha256: string, progressMs: number): void {
    this.#queue('import-progress', () => this.st.importProgress.run(progressMs, sha256));
  }

  insertAlarm(a: Alarm & { agentId?: string }): AlarmRow {
    this.#open();
    // The alarm's call row may still be queued: commit the queue first so the reference holds.
    this.writer.drain();
    const evidence = a.evidence ? JSON.stringify(a.evidence) : null;
    const r = this.st.insertAlarm.run(a.callId, a.agentId ?? null, a.rule, a.severity, a.state ?? 'open', a.message, evidence, a.raisedAt);
    return this.getAlarm(Number(r.lastInsertRowid))!;
  }

  /** open → acked → resolved, or open → resolved; records who, when and why. Anything else is refused. */
  transitionAlarm(id: number, to: AlarmState, by: string, comment?: string): AlarmRow {
    this.#open();
    const stmt = to === 'acked' ? this.st.ackAlarm : to === 'resolved' ? this.st.resolveAlarm : undefined;
    if (stmt?.run(by, Date.now(), comment ?? null, id).changes) return this.getAlarm(id)!;
    const cur = this.getAlarm(id);
    if (!cur) throw notFound(`alarm ${id}`);
    throw new StoreError('EARSHOT_ERR_ALARM_TRANSITION', `alarm ${id} is ${cur.state}; it cannot become ${to}`);
  }

  escalateAlarm(id: number, at: number): boolean {
    this.#open();
    return this.st.escalateAlarm.run(at, id).changes === 1;
  }

  audit(actor: string, action: string, target?: string, detail?: string): void {
    this.#open();
    this.st.audit.run(Date.now(), actor, action, target ?? null, detail ?? null);
  }

  startImport(sha256: string, fileName: string, callId?: string): ImportRow {
    this.#open();
    this.writer.drain(); // the call row it refers to may be queued
    this.st.startImport.run(sha256, callId ?? null, fileName, Date.now());
    return this.findImport(sha256)!;
  }

  finishImport(sha256: string, result: { callId?: string; error?: string }): ImportRow {
    this.#open();
    this.writer.drain(); // progress and the call's rows land before the import is marked finished
    const state = result.error === undefined ? 'done' : 'failed';
    const r = this.st.finishImport.run(state, result.callId ?? null, Date.now(), result.error ?? null, sha256);
    if (r.changes === 0) throw notFound(`import ${sha256.slice(0, 12)}`);
    return this.findImport(sha256)!;
  }

  discardImport(sha256: string): number {
    this.#open();
    this.writer.drain(); // rows of the earlier attempt still queued are deleted too, not written after
    return this.#db.transaction(() => {
      const n = this.st.discardImportCalls.run({ sha: sha256 }).changes;
      this.st.discardImport.run(sha256);
      return n;
    })();
  }

  getCall(callId: string): CallRow | undefined {
    const r = this.st.getCall.get(callId) as Raw | undefined;
    return r && toCall(r, (this.st.legsOf.all(callId) as Raw[]).map(toLeg));
  }

  listUtterances(callId: string): Utterance[] {
    return (this.st.utterancesOf.all(callId) as Raw[]).map(toUtterance);
  }

  listCallEvents(callId: string): CallEventRow[] {
    return (this.st.eventsOf.all(callId) as Raw[]).map(toCallEvent);
  }

  getAlarm(id: number): AlarmRow | undefined {
    const r = this.st.getAlarm.get(id) as Raw | undefined;
    return r && toAlarm(r);
  }

  listAlarms(f: AlarmFilter = {}): AlarmRow[] {
    const rows = this.st.listAlarms.all({ callId: f.callId ?? null, state: f.state ?? null, limit: f.limit ?? 100 }) as Raw[];
    return rows.map(toAlarm);
  }

  findImport(sha256: string): ImportRow | undefined {
    const r = this.st.findImport.get(sha256) as Raw | undefined;
    return r && toImport(r);
  }

  flush(): void {
    this.writer.drain();
  }

  close(): void {
    if (!this.#db.open) return;
    this.writer.close();
    try {
      // Fold the WAL back into the main file so a copied or backed-up .db is complete on its own.
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      this.log.warn({ code: (err as { code?: string }).code }, 'checkpoint at close failed');
    }
    this.#db.close();
    this.onClose();
  }

  #upsertCall(args: unknown[]): void {
    try {
      this.st.upsertCall.run(args);
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      this.log.warn({ ingest: args[1] }, 'external id already used by an earlier call; stored with the call id appended');
      this.st.insertCallReused.run([args[0], args[1], `${String(args[2])}~${String(args[0])}`, ...args.slice(3)]);
    }
  }

  #queue(kind: WriteKind, run: () => void, essential = false): boolean {
    return this.writer.enqueue({ kind, run }, essential);
  }

  /** JSON for a column; `false` (counted as bad input) when the value cannot be serialised. */
  #json(kind: WriteKind, v: unknown): string | null | false {
    if (v === undefined || v === null) return null;
    try {
      return JSON.stringify(v);
    } catch {
      this.m.badInput('store', 'json');
      this.m.droppedRows.inc({ reason: 'json' });
      this.log.warn({ kind }, 'store refused a row: value is not JSON-serialisable');
      return false;
    }
  }

  #open(): void {
    if (!this.#db.open) throw new StoreError('EARSHOT_ERR_STORE_CLOSED', 'the store is closed');
  }
}

function withoutDigits(data: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!data) return data;
  const { digit: _d, digits: _ds, ...rest } = data;
  return rest;
}
