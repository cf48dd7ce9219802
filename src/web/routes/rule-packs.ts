// Rule packs as the console sees them: each *.yaml of the analysis rules directory is a pack
// named after its file; a pack saved from the console lives in the `rules` table and replaces
// the file of the same name. Validation and dry runs use exactly that combined set.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type Database from 'better-sqlite3';
import { buildRuleSet, CallRules, collectConcepts, parseRuleSource, REDACTION_TOKEN, type RedactionType, type RuleSet, type RuleSource, type UtteranceFacts } from '../../analysis/index.js';

export const PACK_ID = /^[a-z0-9][a-z0-9-]{0,62}$/u;

export interface StoredPack {
  id: string;
  version: number;
  kind: string;
  body: string;
  updatedBy: string | null;
  updatedAt: number;
}

export interface Pack {
  id: string;
  /** 'db' once saved from the console (replaces the file), else 'file'. */
  origin: 'file' | 'db';
  /** 0 for a pack only in its file; each console save adds one. */
  version: number;
  kind: 'category' | 'scorecard';
  text: string;
  file?: string;
  updatedBy?: string | null;
  updatedAt?: number;
}

/** The name a stored pack carries in errors and in the running set. */
export const dbSource = (id: string) => `db:rule/${id}`;

export function storedPacks(db: Database.Database): StoredPack[] {
  return db.prepare("SELECT id, version, kind, body, updated_by AS updatedBy, updated_at AS updatedAt FROM rules WHERE kind IN ('category','scorecard') ORDER BY id").all() as StoredPack[];
}

/** Packs stored in the database, as sources for the analysis stage's reload. */
export function storedRuleSources(db: Database.Database): RuleSource[] {
  return storedPacks(db).map((p) => ({ text: p.body, source: dbSource(p.id) }));
}

/** Every pack: files of `dir` (sorted) with stored packs in place of their files, then stored-only packs. */
export function listPacks(dir: string, db: Database.Database): Pack[] {
  const stored = new Map(storedPacks(db).map((p) => [p.id, p]));
  const out: Pack[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/u.test(n)).sort();
  } catch {
    // No directory: only stored packs.
  }
  for (const n of names) {
    const id = basename(n).replace(/\.ya?ml$/u, '');
    const s = stored.get(id);
    const file = join(dir, n);
    if (s) {
      stored.delete(id);
      out.push({ id, origin: 'db', version: s.version, kind: kindOf(s.body), text: s.body, file, updatedBy: s.updatedBy, updatedAt: s.updatedAt });
    } else {
      const text = readFileSync(file, 'utf8');
      out.push({ id, origin: 'file', version: 0, kind: kindOf(text), text, file });
    }
  }
  for (const s of stored.values()) out.push({ id: s.id, origin: 'db', version: s.version, kind: kindOf(s.body), text: s.body, updatedBy: s.updatedBy, updatedAt: s.updatedAt });
  return out;
}

const kindOf = (text: string): Pack['kind'] => (/^scorecard\s*:/mu.test(text) ? 'scorecard' : 'category');

const sourceOf = (p: Pack): RuleSource => (p.origin === 'db' ? { text: p.text, source: dbSource(p.id) } : { text: p.text, source: p.file! });

/** Validates the whole set with pack `id` replaced by (or added as) `text`. */
export function validateWith(dir: string, db: Database.Database, id: string, text: string): { ok: true; set: RuleSet; packRules: string[] } | { ok: false; errors: string[] } {
  const sources = [
    ...listPacks(dir, db)
      .filter((p) => p.id !== id)
      .map(sourceOf),
    { text, source: dbSource(id) },
  ];
  // The pack's own errors first; its "$concept" references resolve against the whole set's concepts.
  const own = parseRuleSource(text, dbSource(id), collectConcepts(sources).concepts);
  if (own.errors.length) return { ok: false, errors: own.errors };
  const r = buildRuleSet(sources);
  return r.ok ? { ok: true, set: r.set, packRules: own.rules.map((x) => x.id) } : { ok: false, errors: r.errors };
}

/**
 * Saves a validated source as the next version of row `id`; returns it. Alarm rule files use the
 * same table and versioning (kind 'alarm', id from alarmRowId).
 */
export function savePack(db: Database.Database, id: string, text: string, user: string, now: number, kind: string = kindOf(text)): StoredPack {
  db.prepare(
    `INSERT INTO rules (id, version, kind, body, updated_by, updated_at) VALUES (@id, 1, @kind, @text, @user, @now)
     ON CONFLICT(id) DO UPDATE SET version = version + 1, kind = excluded.kind, body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
  ).run({ id, kind, text, user, now });
  return db.prepare('SELECT id, version, kind, body, updated_by AS updatedBy, updated_at AS updatedAt FROM rules WHERE id = ?').get(id) as StoredPack;
}

export interface DryRunHit {
  rule: string;
  callId: string;
  /** Absent for rules that hit because something was missing ("absent" rules). */
  utteranceId?: number;
  role?: string;
  startMs?: number;
  /** The stored, already-redacted text. */
  text?: string;
}

export interface DryRun {
  calls: number;
  utterances: number;
  /** Hits per rule of the pack: hits and distinct calls. */
  byRule: Record<string, { hits: number; calls: number }>;
  hits: DryRunHit[];
  truncated: boolean;
}

export const DRY_RUN_LIMITS = { calls: 5000, hits: 500 };

/** Runs a validated set over the stored calls started since `since`, reporting hits of `rules` only. */
export function dryRun(db: Database.Database, set: RuleSet, rules: string[], since: number): DryRun {
  const wanted = new Set(rules);
  const calls = db.prepare('SELECT id FROM calls WHERE started_at >= ? ORDER BY started_at DESC LIMIT ?').pluck().all(since, DRY_RUN_LIMITS.calls + 1) as string[];
  const utts = db.prepare('SELECT id, leg_id AS legId, role, seq, start_ms AS startMs, end_ms AS endMs, text, emotion, sentiment FROM utterances WHERE call_id = ? ORDER BY start_ms, id');
  const out: DryRun = { calls: Math.min(calls.length, DRY_RUN_LIMITS.calls), utterances: 0, byRule: Object.fromEntries(rules.map((r) => [r, { hits: 0, calls: 0 }])), hits: [], truncated: calls.length > DRY_RUN_LIMITS.calls };
  for (const callId of calls.slice(0, DRY_RUN_LIMITS.calls)) {
    const cr = new CallRules(set);
    const seen = new Set<string>();
    const texts = new Map<number, { text: string; role: string; startMs: number }>();
    const record = (rule: string, f?: UtteranceFacts) => {
      if (!wanted.has(rule)) return;
      const s = out.byRule[rule];
      s.hits++;
      if (!seen.has(rule)) s.calls++;
      seen.add(rule);
      if (out.hits.length >= DRY_RUN_LIMITS.hits) return void (out.truncated = true);
      const u = f?.utteranceId !== undefined ? texts.get(f.utteranceId) : undefined;
      out.hits.push({ rule, callId, ...(f?.utteranceId !== undefined ? { utteranceId: f.utteranceId } : {}), ...(u ?? {}) });
    };
    for (const u of utts.all(callId) as (Omit<UtteranceFacts, 'redactions' | 'utteranceId'> & { id: number })[]) {
      out.utterances++;
      texts.set(u.id, { text: u.text, role: u.role, startMs: u.startMs });
      const redactions = [...u.text.matchAll(REDACTION_TOKEN)].map((m) => m[1] as RedactionType);
      for (const h of cr.onUtterance({ ...u, redactions, utteranceId: u.id })) record(h.rule.id, h.at);
    }
    for (const h of cr.onEnd()) record(h.rule.id, h.at);
  }
  return out;
}
