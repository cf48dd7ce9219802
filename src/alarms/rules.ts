import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import type { Severity } from '../call/types.js';
import { AlarmError } from './errors.js';

// Alarm rules live in YAML (config/alarms/*.yaml). Each rule kind has its own closed schema so
// a misspelt key or a value out of range is reported with the rule id and the key named.

const Common = {
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,63}$', description: 'stable id: metric label, dedup key' }),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')], { default: 'warning' }),
  enabled: Type.Boolean({ default: true }),
  /** The same rule does not fire again on the same call (or agent-day) within this time. */
  cooldownSeconds: Type.Integer({ default: 300, minimum: 0, maximum: 86400 }),
  /** Still open (not acked) this long after it was raised: escalate and notify again. 0 = never. */
  escalateAfterMinutes: Type.Integer({ default: 0, minimum: 0, maximum: 1440 }),
  description: Type.Optional(Type.String({ maxLength: 200 })),
};
const closed = <K extends string, T extends Parameters<typeof Type.Object>[0]>(kind: K, props: T) =>
  Type.Object({ ...Common, kind: Type.Literal(kind), ...props }, { additionalProperties: false });

const Glob = Type.String({ pattern: '^[A-Za-z0-9_.*-]{1,100}$', description: 'category id; * matches any run of characters' });
/** One category glob or a list of them (any matches). */
const Globs = Type.Union([Glob, Type.Array(Glob, { minItems: 1, maxItems: 50 })]);

export const RuleSchemas = {
  'negative-streak': closed('negative-streak', {
    role: Type.Union([Type.Literal('customer'), Type.Literal('agent')], { default: 'customer' }),
    below: Type.Number({ default: -0.3, minimum: -1, maximum: 1, description: 'an utterance is negative below this sentiment' }),
    count: Type.Integer({ default: 3, minimum: 2, maximum: 50 }),
  }),
  silence: closed('silence', { seconds: Type.Number({ default: 30, minimum: 1, maximum: 3600 }) }),
  overtalk: closed('overtalk', {
    windowSeconds: Type.Integer({ default: 60, minimum: 5, maximum: 3600 }),
    ratio: Type.Number({ default: 0.2, exclusiveMinimum: 0, maximum: 1 }),
  }),
  category: closed('category', { category: Globs, count: Type.Integer({ default: 1, minimum: 1, maximum: 1000 }) }),
  'agent-daily': closed('agent-daily', {
    metric: Type.Union([Type.Literal('category-share'), Type.Literal('negative-swings')]),
    category: Type.Optional(Globs),
    /** category-share: fire when the share of the agent's calls today is above this. */
    above: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** negative-swings: fire at this many calls today. */
    atLeast: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /** category-share: do not judge a share over fewer calls than this. */
    minCalls: Type.Integer({ default: 20, minimum: 1, maximum: 10000 }),
  }),
} satisfies Record<string, TObject>;

export type RuleKind = keyof typeof RuleSchemas;
export type AlarmRule = { [K in RuleKind]: Static<(typeof RuleSchemas)[K]> }[RuleKind];
export type RuleOf<K extends RuleKind> = Extract<AlarmRule, { kind: K }>;

const KINDS = Object.keys(RuleSchemas) as RuleKind[];
const FileSchema = Type.Object({ version: Type.Literal(1), rules: Type.Array(Type.Unknown()) }, { additionalProperties: false });

/** Parses and validates one rule file's text; `source` names it in errors. Throws AlarmError EARSHOT_ERR_RULES. */
export function parseAlarmRules(text: string, source: string): AlarmRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AlarmError('EARSHOT_ERR_RULES', [`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`], 'yaml');
  }
  if (!Value.Check(FileSchema, doc)) {
    const problems = [...Value.Errors(FileSchema, doc)].map((e) => `${source}: ${e.path || '(top level)'}: ${e.message}`);
    throw new AlarmError('EARSHOT_ERR_RULES', [`${source}: expected "version: 1" and a "rules:" list`, ...problems.slice(0, 5)], 'shape');
  }
  const problems: string[] = [];
  const rules: AlarmRule[] = [];
  doc.rules.forEach((raw, i) => {
    const where = `${source}: rules[${i}]${raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? ` (${(raw as { id: string }).id})` : ''}`;
    const kind = raw && typeof raw === 'object' ? (raw as { kind?: unknown }).kind : undefined;
    if (typeof kind !== 'string' || !KINDS.includes(kind as RuleKind)) {
      problems.push(`${where}.kind = ${JSON.stringify(kind ?? null)}: must be one of ${KINDS.join(', ')}`);
      return;
    }
    const schema: TSchema = RuleSchemas[kind as RuleKind];
    const known = Object.keys(schema.properties as object);
    const unknown = Object.keys(raw as object).filter((k) => !known.includes(k));
    if (unknown.length) {
      problems.push(`${where}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (allowed for ${kind}: ${known.join(', ')})`);
      return;
    }
    const value = Value.Default(schema, structuredClone(raw));
    const errs = [...Value.Errors(schema, value)];
    if (errs.length) {
      for (const e of errs) problems.push(describe(where, e.path, e.value, e.schema));
      return;
    }
    const rule = value as AlarmRule;
    const extra = crossCheck(rule);
    if (extra) problems.push(`${where}: ${extra}`);
    else rules.push(rule);
  });
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.id)) problems.push(`${source}: rule id "${r.id}" is used twice`);
    seen.add(r.id);
  }
  if (problems.length) throw new AlarmError('EARSHOT_ERR_RULES', [...new Set(problems)], 'schema');
  return rules;
}

function crossCheck(r: AlarmRule): string | undefined {
  if (r.kind !== 'agent-daily') return undefined;
  if (r.metric === 'category-share' && (r.category === undefined || r.above === undefined)) return 'metric category-share needs "category" and "above"';
  if (r.metric === 'negative-swings' && r.atLeast === undefined) return 'metric negative-swings needs "atLeast"';
  return undefined;
}

function describe(where: string, path: string, value: unknown, schema: TSchema): string {
  const key = path.replace(/^\//, '').replaceAll('/', '.');
  const shown = value === undefined ? '(missing)' : JSON.stringify(value).slice(0, 60);
  if (schema.anyOf) {
    const alts = schema.anyOf as TSchema[];
    if (alts.every((a) => a.const !== undefined)) return `${where}.${key} = ${shown}: must be one of ${alts.map((a) => JSON.stringify(a.const)).join(', ')}`;
    return `${where}.${key} = ${shown}: must be a category id (letters, digits, . _ - and *) or a list of them`;
  }
  const limits: string[] = [];
  if (schema.minimum !== undefined) limits.push(`>= ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) limits.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) limits.push(`<= ${schema.maximum}`);
  if (schema.pattern) limits.push(`matching /${schema.pattern}/`);
  if (schema.maxLength) limits.push(`at most ${schema.maxLength} characters`);
  return `${where}.${key} = ${shown}: must be ${schema.type ?? 'valid'}${limits.length ? ` ${limits.join(', ')}` : ''}`;
}

/** Loads a rule file, or every *.yaml/*.yml file of a folder (sorted by name), as one rule set. */
export function loadAlarmRules(path: string): AlarmRule[] {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(path, f))
      : [path];
  } catch (err) {
    throw new AlarmError('EARSHOT_ERR_RULES', [`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`], 'read');
  }
  const rules: AlarmRule[] = [];
  const problems: string[] = [];
  for (const f of files) {
    try {
      rules.push(...parseAlarmRules(readFileSync(f, 'utf8'), f));
    } catch (err) {
      if (err instanceof AlarmError) problems.push(...err.problems);
      else throw err;
    }
  }
  const ids = rules.map((r) => r.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) problems.push(`rule id "${id}" is defined in more than one file`);
  if (problems.length) throw new AlarmError('EARSHOT_ERR_RULES', problems, 'schema');
  return rules.filter((r) => r.enabled);
}

/** `compliance.*.missed` style match of a category id; a list matches if any of it does. */
export function globMatch(glob: string | string[], id: string): boolean {
  if (Array.isArray(glob)) return glob.some((g) => globMatch(g, id));
  if (!glob.includes('*')) return glob === id;
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.]/g, '\\.')).join('.*')}$`);
  return re.test(id);
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
