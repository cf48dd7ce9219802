// Rule packs as the console sees them: each *.yaml of the analysis rules directory is a pack
// named after its file; a pack saved from the console lives in the `rules` table and replaces
// the file of the same name. Validation and dry runs use exactly that combined set.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type Database from 'better-sqlite3';
import { RulePacksRepo, type StoredPackRow } from '../../store/repos/rule-packs.js';
import { REDACTION_TOKEN, type RedactionType } from '../redact/patterns.js';
import { CallRules, type UtteranceFacts } from './evaluate.js';
import { buildRuleSet, type RuleSource } from './load.js';
import { collectConcepts, parseRuleSource } from './parse.js';
import type { RuleSet } from './types.js';

export const PACK_ID = /^[a-z0-9][a-z0-9-]{0,62}$/u;

/** A rule pack as stored (the repository's row). */
export type StoredPack = StoredPackRow;

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

/** The rule packs repository, or a connection to take it from (tests, alarm rule files). */
export type PacksSource = RulePacksRepo | Database.Database;
const packsOf = (src: PacksSource): RulePacksRepo => (src instanceof RulePacksRepo ? src : RulePacksRepo.for(src));

/** The name a stored pack carries in errors and in the running set. */
export const dbSource = (id: string) => `db:rule/${id}`;

export function storedPacks(db: PacksSource): StoredPack[] {
  return packsOf(db).packs();
}

/** Packs stored in the database, as sources for the analysis stage's reload. */
export function storedRuleSources(db: PacksSource): RuleSource[] {
  return storedPacks(db).map((p) => ({ text: p.body, source: dbSource(p.id) }));
}

/** Every pack: files of `dir` (sorted) with stored packs in place of their files, then stored-only packs. */
export function listPacks(dir: string, db: PacksSource): Pack[] {
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
export function validateWith(dir: string, db: PacksSource, id: string, text: string): { ok: true; set: RuleSet; packRules: string[] } | { ok: false; errors: string[] } {
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
export function savePack(db: PacksSource, id: string, text: string, user: string, now: number, kind: string = kindOf(text)): StoredPack {
  return packsOf(db).save({ id, kind, text, user, now });
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

interface StoredUtterance extends UtteranceFacts {
  utteranceId: number;
}

/** Stored calls started since `since` (newest first, at most DRY_RUN_LIMITS.calls) with their utterances as rules see them. */
function* storedCalls(db: PacksSource, since: number): Generator<{ callId: string; utts: StoredUtterance[] }, void, undefined> {
  const packs = packsOf(db);
  for (const callId of packs.callsSince(since, DRY_RUN_LIMITS.calls)) {
    // Stored roles and emotions are the analysis stage's own values.
    const rows = packs.utterances(callId) as unknown as (Omit<UtteranceFacts, 'redactions' | 'utteranceId'> & { id: number })[];
    yield { callId, utts: rows.map(({ id, ...u }) => ({ ...u, utteranceId: id, redactions: [...u.text.matchAll(REDACTION_TOKEN)].map((m) => m[1] as RedactionType) })) };
  }
}

const countCalls = (db: PacksSource, since: number) => packsOf(db).countCallsSince(since);

/** Runs a validated set over the stored calls started since `since`, reporting hits of `rules` only. */
export function dryRun(db: PacksSource, set: RuleSet, rules: string[], since: number): DryRun {
  const wanted = new Set(rules);
  const total = countCalls(db, since);
  const out: DryRun = { calls: Math.min(total, DRY_RUN_LIMITS.calls), utterances: 0, byRule: Object.fromEntries(rules.map((r) => [r, { hits: 0, calls: 0 }])), hits: [], truncated: total > DRY_RUN_LIMITS.calls };
  for (const { callId, utts } of storedCalls(db, since)) {
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
    for (const u of utts) {
      out.utterances++;
      texts.set(u.utteranceId, { text: u.text, role: u.role, startMs: u.startMs });
      for (const h of cr.onUtterance(u)) record(h.rule.id, h.at);
    }
    for (const h of cr.onEnd()) record(h.rule.id, h.at);
  }
  return out;
}

export interface RuleChange {
  before: { hits: number; calls: number };
  after: { hits: number; calls: number };
  /** Utterances (and their calls) the rule would newly hit, or no longer hit. */
  gained: { utterances: number; calls: number };
  lost: { utterances: number; calls: number };
}

export interface SetComparison {
  calls: number;
  utterances: number;
  /** Only rules whose hits change. */
  byRule: Record<string, RuleChange>;
  /** Examples (at most DRY_RUN_LIMITS.hits together). */
  gained: DryRunHit[];
  lost: DryRunHit[];
  truncated: boolean;
}

/** What changes from set `before` to set `after` over the stored calls since `since` (a site-terms dry run). */
export function compareSets(db: PacksSource, before: RuleSet, after: RuleSet, since: number): SetComparison {
  const total = countCalls(db, since);
  const out: SetComparison = { calls: Math.min(total, DRY_RUN_LIMITS.calls), utterances: 0, byRule: {}, gained: [], lost: [], truncated: total > DRY_RUN_LIMITS.calls };
  const stat = (rule: string) => (out.byRule[rule] ??= { before: { hits: 0, calls: 0 }, after: { hits: 0, calls: 0 }, gained: { utterances: 0, calls: 0 }, lost: { utterances: 0, calls: 0 } });
  for (const { callId, utts } of storedCalls(db, since)) {
    const a = new CallRules(before);
    const b = new CallRules(after);
    const inCall = new Map<string, Set<'before' | 'after' | 'gained' | 'lost'>>();
    const mark = (rule: string, what: 'before' | 'after' | 'gained' | 'lost') => {
      const s = inCall.get(rule) ?? new Set();
      inCall.set(rule, s.add(what));
    };
    const step = (was: Set<string>, now: Set<string>, u?: StoredUtterance) => {
      for (const r of was) {
        stat(r).before.hits++;
        mark(r, 'before');
      }
      for (const r of now) {
        stat(r).after.hits++;
        mark(r, 'after');
      }
      for (const [r, kind, list] of [...[...now].filter((r) => !was.has(r)).map((r) => [r, 'gained', out.gained] as const), ...[...was].filter((r) => !now.has(r)).map((r) => [r, 'lost', out.lost] as const)]) {
        stat(r)[kind].utterances++;
        mark(r, kind);
        if (out.gained.length + out.lost.length >= DRY_RUN_LIMITS.hits) out.truncated = true;
        else list.push({ rule: r, callId, ...(u ? { utteranceId: u.utteranceId, role: u.role, startMs: u.startMs, text: u.text } : {}) });
      }
    };
    for (const u of utts) {
      out.utterances++;
      step(new Set(a.onUtterance(u).map((h) => h.rule.id)), new Set(b.onUtterance(u).map((h) => h.rule.id)), u);
    }
    step(new Set(a.onEnd().map((h) => h.rule.id)), new Set(b.onEnd().map((h) => h.rule.id)));
    for (const [r, kinds] of inCall) {
      const s = stat(r);
      if (kinds.has('before')) s.before.calls++;
      if (kinds.has('after')) s.after.calls++;
      if (kinds.has('gained')) s.gained.calls++;
      if (kinds.has('lost')) s.lost.calls++;
    }
  }
  for (const [r, s] of Object.entries(out.byRule)) if (!s.gained.utterances && !s.lost.utterances && s.before.hits === s.after.hits) delete out.byRule[r];
  return out;
}
