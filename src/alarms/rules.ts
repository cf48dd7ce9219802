import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { isMap, isScalar, LineCounter, parseDocument, visit, type Alias, type Document } from 'yaml';
import type { Severity } from '../call/types.js';
import { AlarmError, type RuleProblem } from './errors.js';

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
  /** Each raise also opens a care case for the call's customer, owned by `team`, due in `slaHours`. */
  case: Type.Optional(
    Type.Object(
      { team: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }), slaHours: Type.Integer({ default: 24, minimum: 1, maximum: 720 }) },
      { additionalProperties: false },
    ),
  ),
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

type Path = (string | number)[];

/** Largest rule file read or accepted from the console. */
export const MAX_RULE_FILE_CHARS = 256 * 1024;
/** Aliases expanded at most: an alias bomb (aliases of aliases) is refused, not expanded. */
const MAX_ALIASES = 100;

/** 1-based line and column of a character offset. */
export function positionOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/**
 * The alias a failed expansion is about: for an unresolved alias the first that names no anchor
 * before it; for too many, the first alias whose target holds aliases itself (where the
 * amplification starts), else the first alias.
 */
function offendingAlias(doc: Document, unresolved: boolean): Alias | undefined {
  const aliases: Alias[] = [];
  visit(doc, { Alias: (_k, n) => void aliases.push(n) });
  if (unresolved) return aliases.find((a) => a.resolve(doc) === undefined) ?? aliases[0];
  const nests = (a: Alias) => {
    const target = a.resolve(doc);
    let found = false;
    if (target) visit(target as never, { Alias: () => ((found = true), visit.BREAK) });
    return found;
  };
  return aliases.find(nests) ?? aliases[0];
}

/**
 * Parses and validates one rule file's text; `source` names it in errors. Throws AlarmError
 * EARSHOT_ERR_RULES listing every problem at once, each with its rule, key and line.
 */
export function parseAlarmRules(text: string, source: string): AlarmRule[] {
  if (text.length > MAX_RULE_FILE_CHARS) {
    const detail = `larger than ${MAX_RULE_FILE_CHARS / 1024} KiB (${text.length} characters)`;
    const message = `${source}: ${detail}`;
    throw new AlarmError('EARSHOT_ERR_RULES', [message], 'too-large', [{ code: 'yaml', message, source, ...positionOf(text, MAX_RULE_FILE_CHARS), params: { detail } }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const pos = (offset: number) => lines.linePos(offset);
  // The closest node on the path that exists: a missing key points at its rule.
  const at = (path: Path): { line?: number; col?: number } => {
    for (let p = path; p.length; p = p.slice(0, -1)) {
      const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return pos(node.range[0]);
    }
    return {};
  };
  const keyAt = (i: number, key: string) => {
    const m = doc.getIn(['rules', i], true);
    const pair = isMap(m) ? m.items.find((x) => isScalar(x.key) && x.key.value === key) : undefined;
    return pair && isScalar(pair.key) && pair.key.range ? pos(pair.key.range[0]) : at(['rules', i]);
  };

  if (doc.errors.length) {
    const e = doc.errors[0];
    const detail = e.message.split('\n')[0];
    const message = `${source}: not valid YAML: ${detail}`;
    throw new AlarmError('EARSHOT_ERR_RULES', [message], 'yaml', [{ code: 'yaml', message, source, ...(e.linePos ? { line: e.linePos[0].line, col: e.linePos[0].col } : {}), params: { detail } }]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    // yaml throws (ReferenceError) for an alias without an anchor and for an alias bomb.
    const unresolved = /unresolved alias/i.test((err as Error).message);
    const alias = offendingAlias(doc, unresolved);
    const detail = unresolved
      ? `alias *${alias?.source ?? '?'} names no anchor defined before it`
      : `too many aliases (more than ${MAX_ALIASES} expansions): refused as a possible alias bomb`;
    const message = `${source}: not valid YAML: ${detail}`;
    const where = alias?.range ? pos(alias.range[0]) : {};
    throw new AlarmError('EARSHOT_ERR_RULES', [message], unresolved ? 'yaml-alias' : 'yaml-alias-bomb', [{ code: 'yaml', message, source, ...where, params: { detail } }]);
  }
  if (!Value.Check(FileSchema, data)) {
    const head = `${source}: expected "version: 1" and a "rules:" list`;
    const errs = [...Value.Errors(FileSchema, data)].slice(0, 5);
    const problems = errs.map((e) => `${source}: ${e.path || '(top level)'}: ${e.message}`);
    const first = errs[0] ? at(toPath(errs[0].path)) : {};
    throw new AlarmError('EARSHOT_ERR_RULES', [head, ...problems], 'shape', [{ code: 'shape', message: head, source, ...first, key: errs[0]?.path.replace(/^\//, '').split('/')[0] || undefined }]);
  }
  const details: RuleProblem[] = [];
  const add = (p: RuleProblem) => {
    if (!details.some((d) => d.message === p.message)) details.push(p);
  };
  const rules: { rule: AlarmRule; index: number }[] = [];
  data.rules.forEach((raw, i) => {
    const id = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
    const where = `${source}: rules[${i}]${id !== undefined ? ` (${id})` : ''}`;
    const rule = id ?? `rules[${i}]`;
    const kind = raw && typeof raw === 'object' ? (raw as { kind?: unknown }).kind : undefined;
    if (typeof kind !== 'string' || !KINDS.includes(kind as RuleKind)) {
      const value = JSON.stringify(kind ?? null);
      add({ code: 'kind', message: `${where}.kind = ${value}: must be one of ${KINDS.join(', ')}`, source, rule, key: 'kind', ...at(['rules', i, 'kind']), params: { value, allowed: KINDS.join(', ') } });
      return;
    }
    const schema: TSchema = RuleSchemas[kind as RuleKind];
    const known = Object.keys(schema.properties as object);
    const unknown = Object.keys(raw as object).filter((k) => !known.includes(k));
    if (unknown.length) {
      const keys = unknown.map((k) => `"${k}"`).join(', ');
      add({ code: 'unknown-key', message: `${where}: unknown key${unknown.length > 1 ? 's' : ''} ${keys} (allowed for ${kind}: ${known.join(', ')})`, source, rule, key: unknown[0], ...keyAt(i, unknown[0]), params: { keys, kind, allowed: known.join(', ') } });
      return;
    }
    const value = Value.Default(schema, structuredClone(raw));
    const errs = [...Value.Errors(schema, value)];
    if (errs.length) {
      for (const e of errs) {
        const d = describe(e.path, e.value, e.schema);
        add({ code: 'value', message: `${where}.${d.key} = ${d.shown}: must be ${d.expect}`, source, rule, key: d.key, ...at(['rules', i, ...toPath(e.path)]), params: { key: d.key, value: d.shown, expect: d.expect } });
      }
      return;
    }
    const r = value as AlarmRule;
    const needs = crossCheck(r);
    if (needs) add({ code: 'needs', message: `${where}: metric ${needs.metric} needs ${needs.keys.join(' and ')}`, source, rule, key: 'metric', ...at(['rules', i, 'metric']), params: { metric: needs.metric, keys: needs.keys.join(', ') } });
    else rules.push({ rule: r, index: i });
  });
  const seen = new Set<string>();
  for (const { rule: r, index } of rules) {
    if (seen.has(r.id)) add({ code: 'duplicate', message: `${source}: rule id "${r.id}" is used twice`, source, rule: r.id, key: 'id', ...at(['rules', index, 'id']), params: { id: r.id } });
    seen.add(r.id);
  }
  if (details.length) throw new AlarmError('EARSHOT_ERR_RULES', details.map((d) => d.message), 'schema', details);
  return rules.map((x) => x.rule);
}

const toPath = (jsonPointer: string): Path =>
  jsonPointer
    .split('/')
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

function crossCheck(r: AlarmRule): { metric: string; keys: string[] } | undefined {
  if (r.kind !== 'agent-daily') return undefined;
  if (r.metric === 'category-share' && (r.category === undefined || r.above === undefined)) return { metric: r.metric, keys: ['"category"', '"above"'] };
  if (r.metric === 'negative-swings' && r.atLeast === undefined) return { metric: r.metric, keys: ['"atLeast"'] };
  return undefined;
}

function describe(path: string, value: unknown, schema: TSchema): { key: string; shown: string; expect: string } {
  const key = path.replace(/^\//, '').replaceAll('/', '.');
  const shown = value === undefined ? '(missing)' : JSON.stringify(value).slice(0, 60);
  if (schema.anyOf) {
    const alts = schema.anyOf as TSchema[];
    if (alts.every((a) => a.const !== undefined)) return { key, shown, expect: `one of ${alts.map((a) => JSON.stringify(a.const)).join(', ')}` };
    return { key, shown, expect: 'a category id (letters, digits, . _ - and *) or a list of them' };
  }
  const limits: string[] = [];
  if (schema.minimum !== undefined) limits.push(`>= ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) limits.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) limits.push(`<= ${schema.maximum}`);
  if (schema.pattern) limits.push(`matching /${schema.pattern}/`);
  if (schema.maxLength) limits.push(`at most ${schema.maxLength} characters`);
  return { key, shown, expect: `${schema.type ?? 'valid'}${limits.length ? ` ${limits.join(', ')}` : ''}` };
}

/** `compliance.*.missed` style match of a category id; a list matches if any of it does. */
export function globMatch(glob: string | string[], id: string): boolean {
  if (Array.isArray(glob)) return glob.some((g) => globMatch(g, id));
  if (!glob.includes('*')) return glob === id;
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.]/g, '\\.')).join('.*')}$`);
  return re.test(id);
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** A rule's threshold in a few language-neutral symbols, for the console's overview table. */
export function thresholdOf(r: AlarmRule): string {
  switch (r.kind) {
    case 'negative-streak':
      return `${r.role}: ${r.count} × sentiment < ${r.below}`;
    case 'silence':
      return `> ${r.seconds} s`;
    case 'overtalk':
      return `> ${Math.round(r.ratio * 100)}% / ${r.windowSeconds} s`;
    case 'category':
      return `${[r.category].flat().join(', ')} ≥ ${r.count}`;
    case 'agent-daily':
      return r.metric === 'category-share' ? `${[r.category ?? []].flat().join(', ')} > ${Math.round((r.above ?? 0) * 1000) / 10}% (≥ ${r.minCalls})` : `negative-swings ≥ ${r.atLeast}`;
  }
}
