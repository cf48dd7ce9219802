import type Database from 'better-sqlite3';
import type { Alarm, AlarmState, CallEvent, CallInfo, CallState, LegInfo, LegStats, Utterance } from '../call/types.js';

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
}

/**
 * The write side of SQLite. Hot-path writes (utterances, events, leg stats) are queued and
 * committed in one transaction per tick; ids are assigned at enqueue so callers can refer to rows
 * at once. Alarm and audit writes are committed immediately: they are rare and must be durable.
 */
export interface Store {
  readonly db: Database.Database;
  readonly path: string;
  upsertCall(info: CallInfo): void;
  endCall(callId: string, state: CallState, endedAt: number, summary?: unknown): void;
  addLeg(leg: LegInfo): void;
  setLegStats(legId: string, stats: LegStats): void;
  addUtterance(u: Utterance): number;
  addCallEvent(e: CallEvent): number;
  insertAlarm(a: Alarm & { agentId?: string }): AlarmRow;
  transitionAlarm(id: number, to: AlarmState, by: string, comment?: string): AlarmRow;
  audit(actor: string, action: string, target?: string, detail?: string): void;
  /** Commit everything queued now (graceful shutdown, tests). */
  flush(): void;
  close(): void;
}
