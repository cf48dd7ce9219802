// Shared fixtures for the sync tests: a real SQLite file with schema v1, and a call writer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { mulberry32 } from '../../src/random.js';
import { validateConfig } from '../../src/config/load.js';
import { createRepos } from '../../src/store/repos/index.js';
import type { Config } from '../../src/config/schema.js';

const SCHEMA = new URL('../../src/store/migrations/001-initial.sql', import.meta.url);
// The repositories prepare their statements on the later schemas' tables (007 recordings, 008
// conversations, 009 care, 010 the SIP log, 011 the alarm indexes the escalation scan and retention
// name), so they are applied too.
const LATER = ['007-recordings.sql', '008-channels.sql', '009-care.sql', '010-sip-log.sql', '011-alarm-escalation-retention.sql'].map((f) => new URL(`../../src/store/migrations/${f}`, import.meta.url));

export const HOUR = 3_600_000;
/** 2026-01-05T00:00:00Z: a fixed clock, so periods and hours are predictable. */
export const T0 = Date.UTC(2026, 0, 5);

/** The part of a tap test the helpers use. */
export interface Tap {
  testdir(): string;
  teardown(fn: () => unknown): void;
}

// t.testdir() empties the folder on every call: call it once per test and share the result.
const dirs = new WeakMap<Tap, string>();
export function dirOf(t: Tap): string {
  let dir = dirs.get(t);
  if (!dir) dirs.set(t, (dir = t.testdir()));
  return dir;
}

export function openDb(t: Tap, name = 'earshot.db'): Database.Database {
  const db = new Database(join(dirOf(t), name));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(readFileSync(SCHEMA, 'utf8'));
  for (const f of LATER) db.exec(readFileSync(f, 'utf8'));
  t.teardown(() => db.close());
  return db;
}

/** What sync needs of a store, over a test's own connection to the file. */
export function storeOver(db: Database.Database): { repos: ReturnType<typeof createRepos>; path: string } {
  return { repos: createRepos(db), path: db.name };
}

export function syncConfig(sync: Record<string, unknown> = {}, siteId = 'site-a'): Config {
  return validateConfig({ site: { id: siteId }, sync: { secret: 'a-very-secret-shared-key', ...sync } });
}

export interface FakeCall {
  id: string;
  endedAt: number;
  queue?: string | null;
  agent?: string | null;
  /** calls.channel (migration 008); the column's default 'voice' when left out. */
  channel?: string;
  customerHash?: string | null;
  summary?: unknown;
  /** Stored as-is when a string (to test malformed JSON). */
  rawSummary?: string;
  durationMs?: number | null;
  state?: 'ended' | 'interrupted' | 'active';
  externalId?: string;
  legLabel?: string;
  utterances?: { text: string; emotion?: string; sentiment?: number }[];
  categories?: unknown[];
  alarms?: { rule: string; severity?: string; message?: string }[];
  surveys?: { score: number; receivedAt?: number; customerHash?: string }[];
  events?: { kind: string; data?: unknown }[];
}

export function addCall(db: Database.Database, c: FakeCall): void {
  const startedAt = c.endedAt - (c.durationMs ?? 60_000);
  db.prepare(
    `INSERT INTO calls (id, ingest, external_id, started_at, ended_at, state, agent_id, queue, customer_hash, duration_ms, summary, channel)
     VALUES (?, 'siprec', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    c.id,
    c.externalId ?? `ext-${c.id}`,
    startedAt,
    c.state === 'active' ? null : c.endedAt,
    c.state ?? 'ended',
    c.agent ?? null,
    c.queue === undefined ? 'billing' : c.queue,
    c.customerHash ?? null,
    c.durationMs === undefined ? 60_000 : c.durationMs,
    c.rawSummary ?? (c.summary === undefined ? null : JSON.stringify(c.summary)),
    c.channel ?? 'voice',
  );
  const legId = `${c.id}-leg0`;
  db.prepare(`INSERT INTO legs (id, call_id, role, label) VALUES (?, ?, 'customer', ?)`).run(legId, c.id, c.legLabel ?? 'caller');
  (c.utterances ?? []).forEach((u, seq) => {
    db.prepare(
      `INSERT INTO utterances (call_id, leg_id, role, seq, start_ms, end_ms, text, emotion, sentiment) VALUES (?, ?, 'customer', ?, ?, ?, ?, ?, ?)`,
    ).run(c.id, legId, seq, seq * 1000, seq * 1000 + 900, u.text, u.emotion ?? 'neutral', u.sentiment ?? 0);
  });
  for (const cat of c.categories ?? []) {
    db.prepare(`INSERT INTO call_events (call_id, kind, t_ms, data) VALUES (?, 'category', 0, ?)`).run(c.id, JSON.stringify(cat));
  }
  for (const e of c.events ?? []) {
    db.prepare(`INSERT INTO call_events (call_id, kind, t_ms, data) VALUES (?, ?, 0, ?)`).run(c.id, e.kind, JSON.stringify(e.data ?? null));
  }
  for (const a of c.alarms ?? []) {
    db.prepare(`INSERT INTO alarms (call_id, agent_id, rule, severity, message, raised_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
      c.id,
      c.agent ?? null,
      a.rule,
      a.severity ?? 'warning',
      a.message ?? 'alarm',
      startedAt,
    );
  }
  for (const s of c.surveys ?? []) {
    db.prepare(`INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, ?, 'nps', ?, ?)`).run(
      c.id,
      s.customerHash ?? c.customerHash ?? null,
      s.score,
      s.receivedAt ?? c.endedAt + 60_000,
    );
  }
}

/** A deterministic uniform source for noise tests. */
export const seeded = mulberry32;
