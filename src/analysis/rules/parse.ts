// YAML rule files → validated rules. Every error names the file, line:column, the rule id and
// the path inside the YAML, because a rule author fixing a file needs all four.
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { EmotionLabel, Severity } from '../../call/types.js';
import type { RedactionType } from '../redact/patterns.js';
import { readConcepts, resolveConcepts, type ConceptDef, type Concepts } from './concepts.js';
import { compilePhrases } from './phrases.js';
import { parseSimilar, readSimilar, type SimilarAdd } from './similar.js';
import { parseScorecard } from './scorecard.js';
import { INTENTS, type Cond, type Intent, type Names, type Rule, type Scorecard, type Speaker } from './types.js';

export type Path = (string | number)[];
export type Obj = Record<string, unknown>;

export const ID = /^[a-z0-9][a-z0-9-]{0,62}$/u;
const SEVERITIES: Severity[] = ['info', 'warning', 'critical'];
const SPEAKERS: Speaker[] = ['customer', 'agent', 'any'];
export const EMOTIONS: EmotionLabel[] = ['angry', 'frustrated', 'neutral', 'satisfied'];
const REDACTIONS: RedactionType[] = ['CARD', 'CVV', 'PHONE', 'EMAIL', 'ID', 'DOB', 'DIGITS', 'NAME', 'ADDRESS'];
const RULE_KEYS = ['id', 'name', 'description', 'severity', 'intent', 'speaker', 'window', 'when', 'count', 'absent', 'once'];
const COND_KEYS = ['all', 'any', 'not', 'phrases', 'regex', 'near', 'emotion', 'sentiment', 'redacted', 'hit', 'similar'];
const MAX_REGEX = 300;
const MAX_PHRASES = 2000;

export interface ParseResult {
  rules: Rule[];
  scorecards: Scorecard[];
  errors: string[];
  /** A `similar:` section's examples, for rules anywhere in the set. */
  similar?: SimilarAdd[];
}

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Checker {
  readonly errors: string[] = [];
  ruleId = '';
  lists = new Map<string, string[]>();
  /** Shared concept classes: what "$name" means when this file has no list of that name. */
  concepts: Concepts = new Map();

  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
    private readonly source: string,
  ) {}

  /** line:col of the deepest node of `path` that exists. */
  where(path: Path): string {
    for (let p = [...path]; p.length; p.pop()) {
      const node = this.doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
      if (node?.range) {
        const { line, col } = this.lc.linePos(node.range[0]);
        return `${line}:${col}`;
      }
    }
    return '1:1';
  }

  fail(path: Path, msg: string): undefined {
    const at = path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i ? `.${k}` : k)).join('');
    const who = this.ruleId ? `rule "${this.ruleId}" ` : '';
    this.errors.push(`${this.source}:${this.where(path)}: ${who}${at}: ${msg}`);
    return undefined;
  }

  strings(v: unknown, path: Path, what: string, expand = false): string[] | undefined {
    const arr = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(arr) || arr.length === 0) return this.fail(path, `${what} must be a string or a non-empty list of strings`);
    const out: string[] = [];
    for (let i = 0; i < arr.length; i++) {
      const s = arr[i];
      const p = Array.isArray(v) ? [...path, i] : path;
      if (typeof s !== 'string' || !s.trim()) return this.fail(p, `${what} entries must be non-empty strings`);
      if (expand && s.startsWith('$')) {
        // A list of this file first, then a shared concept class.
        const list = this.lists.get(s.slice(1)) ?? this.concepts.get(s.slice(1));
        if (!list) return this.fail(p, `unknown list or concept "${s}" (define it under "lists:" in this file or under "concepts:", e.g. in config/rules/concepts.yaml)`);
        out.push(...list);
      } else out.push(s);
    }
    if (out.length > MAX_PHRASES) return this.fail(path, `at most ${MAX_PHRASES} ${what} entries`);
    return out;
  }

  oneOf<T extends string>(v: unknown, path: Path, allowed: readonly T[], what: string): T | undefined {
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    return this.fail(path, `${what} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
  }

  num(v: unknown, path: Path, min: number, max: number, integer = false): number | undefined {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
      return this.fail(path, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${JSON.stringify(v)})`);
    return v;
  }

  closed(o: Obj, path: Path, keys: string[]): boolean {
    const extra = Object.keys(o).filter((k) => !keys.includes(k));
    for (const k of extra) this.fail([...path, k], `unknown key "${k}" (allowed: ${keys.join(', ')})`);
    return extra.length === 0;
  }

  cond(v: unknown, path: Path): Cond | undefined {
    if (!isObj(v)) return this.fail(path, `a condition must be a mapping with one of: ${COND_KEYS.join(', ')}`);
    const keys = Object.keys(v);
    if (keys.length !== 1) return this.fail(path, `a condition has exactly one key of: ${COND_KEYS.join(', ')} (got ${keys.join(', ') || 'none'}); combine several with all/any`);
    const k = keys[0];
    const val = v[k];
    const p = [...path, k];
    switch (k) {
      case 'all':
      case 'any': {
        if (!Array.isArray(val) || val.length === 0) return this.fail(p, `${k} must be a non-empty list of conditions`);
        const of = val.map((c, i) => this.cond(c, [...p, i]));
        return of.every((c) => c) ? { kind: k, of: of as Cond[] } : undefined;
      }
      case 'not': {
        const of = this.cond(val, p);
        return of && { kind: 'not', of };
      }
      case 'phrases': {
        const list = this.strings(val, p, 'phrases', true);
        return list && { kind: 'phrases', set: compilePhrases(list) };
      }
      case 'regex': {
        const list = this.strings(val, p, 'regex');
        if (!list) return undefined;
        const res: RegExp[] = [];
        for (const [i, src] of list.entries()) {
          const ip = Array.isArray(val) ? [...p, i] : p;
          if (src.length > MAX_REGEX) return this.fail(ip, `regex longer than ${MAX_REGEX} characters`);
          try {
            res.push(new RegExp(src, 'iu'));
          } catch (err) {
            return this.fail(ip, `invalid regex: ${(err as Error).message}`);
          }
        }
        return { kind: 'regex', res };
      }
      case 'near': {
        if (!isObj(val)) return this.fail(p, 'near must be a mapping {a: [...], b: [...], words: N}');
        if (!this.closed(val, p, ['a', 'b', 'words'])) return undefined;
        const a = this.strings(val.a, [...p, 'a'], 'near.a', true);
        const b = this.strings(val.b, [...p, 'b'], 'near.b', true);
        const words = val.words === undefined ? 5 : this.num(val.words, [...p, 'words'], 1, 50, true);
        return a && b && words !== undefined ? { kind: 'near', a: compilePhrases(a), b: compilePhrases(b), words } : undefined;
      }
      case 'emotion': {
        const list = typeof val === 'string' ? [val] : val;
        if (!Array.isArray(list) || !list.length) return this.fail(p, `emotion must be one or a list of ${EMOTIONS.join(', ')}`);
        const labels = list.map((e, i) => this.oneOf(e, Array.isArray(val) ? [...p, i] : p, EMOTIONS, 'emotion'));
        return labels.every((l) => l) ? { kind: 'emotion', labels: labels as EmotionLabel[] } : undefined;
      }
      case 'sentiment': {
        if (!isObj(val) || !this.closed(val, p, ['gte', 'lte'])) return isObj(val) ? undefined : this.fail(p, 'sentiment must be a mapping {gte: x} and/or {lte: x}, x from -1 to 1');
        if (val.gte === undefined && val.lte === undefined) return this.fail(p, 'sentiment needs gte or lte');
        const gte = val.gte === undefined ? undefined : this.num(val.gte, [...p, 'gte'], -1, 1);
        const lte = val.lte === undefined ? undefined : this.num(val.lte, [...p, 'lte'], -1, 1);
        if ((val.gte !== undefined && gte === undefined) || (val.lte !== undefined && lte === undefined)) return undefined;
        return { kind: 'sentiment', gte, lte };
      }
      case 'redacted': {
        const list = typeof val === 'string' ? [val] : val;
        if (!Array.isArray(list) || !list.length) return this.fail(p, `redacted must be one or a list of ${REDACTIONS.join(', ')}`);
        const types = list.map((e, i) => this.oneOf(e, Array.isArray(val) ? [...p, i] : p, REDACTIONS, 'redacted'));
        return types.every((t) => t) ? { kind: 'redacted', types: types as RedactionType[] } : undefined;
      }
      case 'hit':
        if (typeof val !== 'string' || !ID.test(val)) return this.fail(p, 'hit must be the id of another rule');
        return { kind: 'hit', rule: val };
      case 'similar':
        return parseSimilar(this, val, p);
      default:
        return this.fail(p, `unknown condition "${k}" (allowed: ${COND_KEYS.join(', ')})`);
    }
  }

  /** A display name: a plain string, or one per language `{en: ..., zh: ...}`. */
  names(v: unknown, path: Path): Names | undefined {
    if (typeof v === 'string' && v.trim()) return { en: v };
    if (!isObj(v) || !Object.keys(v).length) return this.fail(path, 'name must be a string or {en: ..., zh: ...}');
    if (!this.closed(v, path, ['en', 'zh'])) return undefined;
    const out: Names = {};
    for (const lang of ['en', 'zh'] as const) {
      if (v[lang] === undefined) continue;
      if (typeof v[lang] !== 'string' || !(v[lang] as string).trim()) return this.fail([...path, lang], `name.${lang} must be a non-empty string`);
      out[lang] = v[lang] as string;
    }
    return out;
  }

  rule(v: unknown, path: Path): Rule | undefined {
    this.ruleId = '';
    if (!isObj(v)) return this.fail(path, 'a rule must be a mapping with at least id and when');
    if (typeof v.id !== 'string' || !ID.test(v.id)) return this.fail([...path, 'id'], `id must match ${ID.source} (got ${JSON.stringify(v.id)})`);
    this.ruleId = v.id;
    const before = this.errors.length;
    this.closed(v, path, RULE_KEYS);
    const rule: Partial<Rule> = { id: v.id, speaker: 'any', absent: false, once: false, source: `${this.source}:${this.where(path).split(':')[0]}` };
    if (v.name !== undefined) {
      const names = this.names(v.name, [...path, 'name']);
      if (names) {
        rule.name = names.en ?? names.zh;
        if (typeof v.name !== 'string') rule.names = names;
      }
    }
    if (v.description !== undefined && typeof v.description !== 'string') this.fail([...path, 'description'], 'description must be a string');
    if (v.severity !== undefined) rule.severity = this.oneOf(v.severity, [...path, 'severity'], SEVERITIES, 'severity');
    if (v.intent !== undefined) rule.intent = this.oneOf<Intent>(v.intent, [...path, 'intent'], INTENTS, 'intent');
    if (v.speaker !== undefined) rule.speaker = this.oneOf(v.speaker, [...path, 'speaker'], SPEAKERS, 'speaker');
    for (const flag of ['absent', 'once'] as const) {
      if (v[flag] === undefined) continue;
      if (typeof v[flag] === 'boolean') rule[flag] = v[flag] as boolean;
      else this.fail([...path, flag], `${flag} must be true or false`);
    }
    if (v.window !== undefined) {
      const wp = [...path, 'window'];
      const w = v.window;
      if (!isObj(w) || Object.keys(w).length !== 1 || !this.closed(w, wp, ['first', 'last'])) this.fail(wp, 'window must be {first: seconds} or {last: seconds}');
      else if (w.first !== undefined) rule.window = { first: this.num(w.first, [...wp, 'first'], 1, 86400) };
      else rule.window = { last: this.num(w.last, [...wp, 'last'], 1, 86400) };
    }
    if (v.count !== undefined) {
      const cp = [...path, 'count'];
      if (!isObj(v.count) || !this.closed(v.count, cp, ['gte'])) this.fail(cp, 'count must be {gte: N}');
      else {
        const gte = this.num(v.count.gte, [...cp, 'gte'], 1, 10000, true);
        if (gte !== undefined) rule.count = { gte };
      }
      if (rule.absent) this.fail(cp, 'count and absent cannot be combined');
    }
    if (v.when === undefined) this.fail(path, 'when is required (the condition an utterance must meet)');
    else rule.when = this.cond(v.when, [...path, 'when']);
    return this.errors.length === before ? (rule as Rule) : undefined;
  }
}

/**
 * Parses one YAML source (a file, or a rule body from the database). `concepts` is the shared
 * table of the whole set (collectConcepts); without it, the source's own concepts are used.
 */
export function parseRuleSource(text: string, source: string, concepts?: Concepts): ParseResult {
  const { doc, lc } = parsed(text);
  if (doc.errors.length) {
    return {
      rules: [],
      scorecards: [],
      errors: doc.errors.map((e) => {
        const { line, col } = lc.linePos(e.pos[0]);
        return `${source}:${line}:${col}: YAML syntax error: ${e.message.split('\n')[0]}`;
      }),
    };
  }
  const c = new Checker(doc, lc, source);
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { rules: [], scorecards: [], errors: [`${source}:1:1: ${(err as Error).message}`] };
  }
  if (!isObj(root)) return { rules: [], scorecards: [], errors: [`${source}:1:1: top level must be a mapping with "rules:" and/or "scorecard:" (and optionally "lists:", "concepts:", "similar:")`] };
  c.closed(root, [], ['rules', 'lists', 'scorecard', 'concepts', 'similar']);
  useConcepts(c, root, concepts);
  if (root.lists !== undefined) {
    if (!isObj(root.lists)) c.fail(['lists'], 'lists must map names to lists of phrases');
    else for (const [name, list] of Object.entries(root.lists)) {
      const items = c.strings(list, ['lists', name], `list "${name}"`);
      if (items) c.lists.set(name, items);
    }
  }
  const scorecards: Scorecard[] = [];
  if (root.scorecard !== undefined) {
    const card = parseScorecard(c, root.scorecard, source);
    if (card) scorecards.push(card);
  }
  const similar = root.similar !== undefined ? readSimilar(c, root.similar, source) : [];
  if (root.rules === undefined && (root.scorecard !== undefined || root.concepts !== undefined || root.similar !== undefined)) root.rules = [];
  if (!Array.isArray(root.rules)) return { rules: [], scorecards: [], errors: [...c.errors, `${source}:${c.where(['rules'])}: rules must be a list of rules`] };
  const rules: Rule[] = [];
  root.rules.forEach((r, i) => {
    const rule = c.rule(r, ['rules', i]);
    if (rule) rules.push(rule);
  });
  return c.errors.length ? { rules: [], scorecards: [], errors: c.errors } : { rules, scorecards, errors: [], similar };
}

/** "$name" resolves against the set's concepts, or (parsed alone) against this source's own. */
function useConcepts(c: Checker, root: Obj, concepts: Concepts | undefined): void {
  if (concepts) c.concepts = concepts;
  else if (root.concepts !== undefined) {
    const defs = new Map<string, ConceptDef[]>();
    readConcepts(c, root.concepts, defs);
    c.concepts = resolveConcepts(defs);
  }
}

/**
 * The concept classes of several sources, merged by name and expanded. A source that does not
 * parse is skipped here: parseRuleSource reports it.
 */
export function collectConcepts(sources: { text: string; source: string }[]): { concepts: Concepts; errors: string[] } {
  const defs = new Map<string, ConceptDef[]>();
  const checkers: Checker[] = [];
  for (const s of sources) {
    const { doc, lc } = parsed(s.text);
    if (doc.errors.length) continue;
    let root: unknown;
    try {
      root = doc.toJS({ maxAliasCount: 100 });
    } catch {
      continue;
    }
    if (!isObj(root) || root.concepts === undefined) continue;
    const c = new Checker(doc, lc, s.source);
    checkers.push(c);
    readConcepts(c, root.concepts, defs);
  }
  const concepts = resolveConcepts(defs);
  return { concepts, errors: checkers.flatMap((c) => c.errors) };
}

// Parsed documents by text: a set is validated often (every load, console check, dry run, the
// category catalog) and mostly from the same files; YAML parsing was most of that time.
const DOCS = new Map<string, { doc: Document; lc: LineCounter }>();
const MAX_DOCS = 64;

function parsed(text: string): { doc: Document; lc: LineCounter } {
  const hit = DOCS.get(text);
  if (hit) return hit;
  const lc = new LineCounter();
  const out = { doc: parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true }), lc };
  if (DOCS.size >= MAX_DOCS) DOCS.delete(DOCS.keys().next().value!);
  DOCS.set(text, out);
  return out;
}
