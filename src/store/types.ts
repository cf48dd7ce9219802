import type { ReadPool } from './read-pool.js';
import type { Repos } from './repos/index.js';
import type { Alarm, AlarmState, CallEvent, CallInfo, CallState, EndReason, LegInfo, LegStats, Utterance } from '../call/types.js';

export type { LegStats };

export interface AlarmRow extends Alarm {
  id: number;
  agentId?: string;
  ackedBy?: string;
  ackedAt?: number;
  ackComment?: string;
  resolvedBy?: string;
  resolvedAt?: number;
  resolveComment?: string;
  escalatedAt?: number;
}

/**
 * The write side of SQLite. Hot-path writes (utterances, events, leg stats) are queued and
 * committed in one transaction per tick; ids are assigned at enqueue so callers can refer to rows
 * at once. Alarm and audit writes are committed immediately: they are rare and must be durable.
 */
export interface Store extends StoreReads {
  /** Heavy reads off the event loop; present when the store was opened with `reads` on a file. */
  readonly reads?: ReadPool;
  readonly path: string;
  /** The stages' repositories over this connection (statements prepared once). */
  readonly repos: Repos;
  upsertCall(info: CallInfo): void;
  endCall(callId: string, state: CallState, endedAt: number, summary?: unknown, reason?: EndReason): void;
  addLeg(leg: LegInfo): void;
  setLegStats(legId: string, stats: LegStats): void;
  addUtterance(u: Utterance): number;
  addCallEvent(e: CallEvent): number;
  insertAlarm(a: Alarm & { agentId?: string }): AlarmRow;
  transitionAlarm(id: number, to: AlarmState, by: string, comment?: string): AlarmRow;
  audit(actor: string, action: string, target?: string, detail?: string): void;
  /** Commit everything queued now (graceful shutdown, tests). */
  flush(): void;
  /** False once closed (readiness). */
  isOpen(): boolean;
  /** The migrations applied to this file (`PRAGMA user_version`). */
  schemaVersion(): number;
  close(): void;
}

/** A stored call with its legs, as the CLI, import and console read it back. */
export interface CallRow extends CallInfo {
  state: CallState;
  endedAt?: number;
  endReason?: EndReason;
  durationMs?: number;
  summary?: unknown;
  legs: LegRow[];
}

/** A stored leg. Participant names/AORs are never stored (PII). */
export interface LegRow {
  legId: string;
  callId: string;
  role: LegInfo['role'];
  label: string;
  codec?: string;
  stats?: LegStats;
}

export interface CallEventRow extends CallEvent {
  id: number;
}

export type ImportState = 'running' | 'done' | 'failed';

/** One `earshot import` of a recording, keyed by the file's sha256 so a re-import is detected. */
export interface ImportRow {
  sha256: string;
  callId?: string;
  fileName: string;
  state: ImportState;
  progressMs: number;
  startedAt: number;
  finishedAt?: number;
  /** Reason an import failed; bounded text, never transcript or caller data. */
  error?: string;
}

export interface AlarmFilter {
  callId?: string;
  state?: AlarmState;
  /** Newest first; default 100. */
  limit?: number;
}

/** Reads and the rare synchronous writes added to `Store` by the store implementation. */
export interface StoreReads {
  /** Writes queued and not yet committed. */
  readonly pendingRows: number;
  getCall(callId: string): CallRow | undefined;
  /** Utterances of a call (with ids) in time order. */
  listUtterances(callId: string): Utterance[];
  listCallEvents(callId: string): CallEventRow[];
  getAlarm(id: number): AlarmRow | undefined;
  listAlarms(filter?: AlarmFilter): AlarmRow[];
  findImport(sha256: string): ImportRow | undefined;
  /** Records an import as running (again, if an earlier attempt failed). Committed at once. */
  startImport(sha256: string, fileName: string, callId?: string): ImportRow;
  /** Queued like other hot-path writes. */
  progressImport(sha256: string, progressMs: number): void;
  /** Done without `error`, failed with it. Committed at once. */
  finishImport(sha256: string, result: { callId?: string; error?: string }): ImportRow;
  /**
   * Forgets a partial import before it is redone: deletes the import's call(s) (ingest 'import',
   * external id = sha256; legs, utterances and events cascade) and its ledger row, in one transaction.
   * Returns the number of calls deleted.
   */
  discardImport(sha256: string): number;
  /** Marks an alarm escalated (once). False when it already was, or does not exist. Committed at once. */
  escalateAlarm(id: number, at: number): boolean;
}
