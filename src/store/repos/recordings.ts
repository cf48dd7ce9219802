import type Database from 'better-sqlite3';
import { camelRow } from '../rows.js';

export type MuteReason = 'redacted' | 'dtmf' | 'unanalysed';
export interface MutedSpan {
  startMs: number;
  endMs: number;
  reason: MuteReason;
}

export interface RecordingRow {
  id: number;
  callId: string;
  legId: string;
  path: string;
  keyId: string;
  bytes: number;
  durationMs: number;
  /** Leg time of the decoded recording's first sample (codec delay included): leg time T plays at T - offsetMs. */
  offsetMs: number;
  sampleRate: number;
  muted: MutedSpan[];
  status: 'complete' | 'stopped';
  createdAt: number;
}

const toRow = (r: Record<string, unknown>): RecordingRow => ({ ...camelRow<RecordingRow>(r), muted: JSON.parse(r.muted as string) as MutedSpan[] });

/** Where each leg's encrypted recording is, under which key, and what was muted in it. */
export class RecordingsRepo {
  readonly #insert: Database.Statement;
  readonly #byCall: Database.Statement;
  readonly #one: Database.Statement;
  readonly #due: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #byDay: Database.Statement;
  readonly #total: Database.Statement;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(
      `INSERT INTO recordings (call_id, leg_id, path, key_id, bytes, duration_ms, offset_ms, sample_rate, muted, status, created_at)
       VALUES (@callId, @legId, @path, @keyId, @bytes, @durationMs, @offsetMs, @sampleRate, @muted, @status, @createdAt)
       ON CONFLICT (call_id, leg_id) DO NOTHING`,
    );
    this.#byCall = db.prepare('SELECT * FROM recordings WHERE call_id = ? ORDER BY id');
    this.#one = db.prepare('SELECT * FROM recordings WHERE call_id = ? AND leg_id = ?');
    // Past its retention, or its call already gone (the calls purge ran first).
    this.#due = db.prepare(
      `SELECT * FROM recordings WHERE id > ? AND (created_at < ? OR NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = recordings.call_id)) ORDER BY id LIMIT ?`,
    );
    this.#delete = db.prepare('DELETE FROM recordings WHERE id = ?');
    this.#byDay = db.prepare(
      `SELECT date(created_at / 1000, 'unixepoch') AS day, COUNT(*) AS files, SUM(bytes) AS bytes, SUM(duration_ms) AS ms
       FROM recordings WHERE created_at >= ? GROUP BY day ORDER BY day`,
    );
    this.#total = db.prepare('SELECT COUNT(*) AS files, COALESCE(SUM(bytes), 0) AS bytes FROM recordings');
  }

  insert(r: Omit<RecordingRow, 'id'>): boolean {
    return this.#insert.run({ ...r, muted: JSON.stringify(r.muted) }).changes > 0;
  }

  byCall(callId: string): RecordingRow[] {
    return (this.#byCall.all(callId) as Record<string, unknown>[]).map(toRow);
  }

  get(callId: string, legId: string): RecordingRow | undefined {
    const r = this.#one.get(callId, legId) as Record<string, unknown> | undefined;
    return r ? toRow(r) : undefined;
  }

  /** Recordings after row `afterId` created before `cutoff`, or whose call is gone, in id order. */
  due(cutoff: number, limit: number, afterId = 0): RecordingRow[] {
    return (this.#due.all(afterId, cutoff, limit) as Record<string, unknown>[]).map(toRow);
  }

  delete(id: number): void {
    this.#delete.run(id);
  }

  /** Disk use per UTC day of creation since `from`. */
  usageByDay(from: number): { day: string; files: number; bytes: number; seconds: number }[] {
    return (this.#byDay.all(from) as { day: string; files: number; bytes: number; ms: number }[]).map((d) => ({ day: d.day, files: d.files, bytes: d.bytes, seconds: Math.round(d.ms / 1000) }));
  }

  total(): { files: number; bytes: number } {
    return this.#total.get() as { files: number; bytes: number };
  }
}
