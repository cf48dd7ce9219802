// Alarm rule files as one set: each *.yaml of the alarm rules folder (or the one file configured),
// with the version an admin saved from the console (the `rules` table, kind 'alarm') in place of
// the file of the same name. The stage loads, and the console validates, exactly that set.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type Database from 'better-sqlite3';
import { AlarmRulesRepo, type StoredAlarmRuleFile } from '../store/repos/alarm-rules.js';
import { AlarmError, type RuleProblem } from './errors.js';
import { parseAlarmRules, type AlarmRule } from './rules.js';

/** A rule file's id: its name without .yaml; the console addresses files by it. */
export const ALARM_FILE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/u;
/** Row id in the shared `rules` table ('alarm/…' cannot clash with an analysis pack id). */
export const alarmRowId = (id: string) => `alarm/${id}`;
/** The name a stored file carries in errors. */
export const alarmDbSource = (id: string) => `db:alarm/${id}`;

export interface AlarmRuleFile {
  id: string;
  /** File name as shipped (`default.yaml`), or `<id>.yaml` for a file that exists only in the database. */
  name: string;
  origin: 'file' | 'db';
  /** 0 while only the file exists; each console save adds one. */
  version: number;
  text: string;
  file?: string;
  updatedBy?: string | null;
  updatedAt?: number;
}

/** Where saved rule files come from: the store's repository, or a connection (its repository is used). */
export type AlarmRuleRows = AlarmRulesRepo | Database.Database;

function storedRows(db: AlarmRuleRows | undefined): Map<string, StoredAlarmRuleFile> {
  if (!db) return new Map();
  const rows = (db instanceof AlarmRulesRepo ? db : AlarmRulesRepo.for(db)).stored();
  return new Map(rows.map((r) => [r.id, r]));
}

/** The YAML files of `path` (a folder, sorted by name, or one file). `strict`: unreadable throws. */
function diskFiles(path: string, strict: boolean): string[] {
  try {
    return statSync(path).isDirectory()
      ? readdirSync(path).filter((f) => /\.ya?ml$/u.test(f)).sort().map((f) => join(path, f))
      : [path];
  } catch (err) {
    if (!strict) return [];
    const message = `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
    throw new AlarmError('EARSHOT_ERR_RULES', [message], 'read', [{ code: 'read', message, source: path }]);
  }
}

/** Every rule file: files with their stored version in place, then files only stored. */
export function listAlarmRuleFiles(path: string, db?: AlarmRuleRows, strict = false): AlarmRuleFile[] {
  const stored = storedRows(db);
  const out: AlarmRuleFile[] = [];
  for (const file of diskFiles(path, strict)) {
    const name = basename(file);
    const id = name.replace(/\.ya?ml$/u, '');
    const s = stored.get(id);
    stored.delete(id);
    if (s) out.push({ id, name, origin: 'db', version: s.version, text: s.body, file, updatedBy: s.updatedBy, updatedAt: s.updatedAt });
    else out.push({ id, name, origin: 'file', version: 0, text: readFileSync(file, 'utf8'), file });
  }
  for (const s of stored.values()) out.push({ id: s.id, name: `${s.id}.yaml`, origin: 'db', version: s.version, text: s.body, updatedBy: s.updatedBy, updatedAt: s.updatedAt });
  return out;
}

const sourceOf = (f: AlarmRuleFile) => (f.origin === 'db' || !f.file ? alarmDbSource(f.id) : f.file);

/** Parses several files as one set (ids unique across files); returns the enabled rules. */
export function buildAlarmSet(files: { text: string; source: string }[]): AlarmRule[] {
  const rules: { rule: AlarmRule; source: string }[] = [];
  const problems: string[] = [];
  const details: RuleProblem[] = [];
  let reason = 'schema';
  for (const f of files) {
    try {
      rules.push(...parseAlarmRules(f.text, f.source).map((rule) => ({ rule, source: f.source })));
    } catch (err) {
      if (!(err instanceof AlarmError)) throw err;
      problems.push(...err.problems);
      details.push(...err.details);
      reason = err.reason;
    }
  }
  const ids = rules.map((r) => r.rule.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) {
    const message = `rule id "${id}" is defined in more than one file`;
    problems.push(message);
    details.push({ code: 'duplicate', message, source: rules.filter((r) => r.rule.id === id).map((r) => r.source).join(', '), rule: id, key: 'id', params: { id } });
  }
  if (problems.length) throw new AlarmError('EARSHOT_ERR_RULES', problems, problems.length > 1 ? 'schema' : reason, details);
  return rules.map((r) => r.rule).filter((r) => r.enabled);
}

/** Loads a rule file, or every *.yaml/*.yml file of a folder, as one set of enabled rules (files only). */
export function loadAlarmRules(path: string): AlarmRule[] {
  return buildAlarmSet(listAlarmRuleFiles(path, undefined, true).map((f) => ({ text: f.text, source: sourceOf(f) })));
}

/** The running set: the files of `path` with the versions saved from the console in their place. */
export function loadAlarmRuleSet(path: string, db: AlarmRuleRows): AlarmRule[] {
  return buildAlarmSet(listAlarmRuleFiles(path, db, true).map((f) => ({ text: f.text, source: sourceOf(f) })));
}

export type AlarmFileCheck = { ok: true; rules: AlarmRule[]; fileRules: AlarmRule[] } | { ok: false; error: AlarmError };

/**
 * Validates file `id` replaced by (or added as) `text` within the whole set. The file alone is
 * checked first so its own errors come first and name it; then the set (ids across files).
 */
export function validateAlarmFile(path: string, db: AlarmRuleRows, id: string, text: string): AlarmFileCheck {
  try {
    const fileRules = parseAlarmRules(text, alarmDbSource(id));
    const others = listAlarmRuleFiles(path, db).filter((f) => f.id !== id);
    const rules = buildAlarmSet([...others.map((f) => ({ text: f.text, source: sourceOf(f) })), { text, source: alarmDbSource(id) }]);
    return { ok: true, rules, fileRules };
  } catch (err) {
    if (err instanceof AlarmError) return { ok: false, error: err };
    throw err;
  }
}
