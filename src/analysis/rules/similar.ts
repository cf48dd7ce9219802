// The `similar` condition ("the speaker says something like these examples") and a file's
// top-level `similar:` section, which adds such a condition to a rule of the set (any file):
//   similar:
//     complaint: {threshold: 0.9, examples: ["...", "..."]}
// makes rule `complaint` also hit on utterances near those examples (`any: [its when, similar]`),
// so examples are edited apart from the phrases (config/rules/similar.yaml). Matching needs the semantic layer; without
// it the condition never holds and the phrases work alone.
import type { Checker, Obj, Path } from './parse.js';
import type { Cond, Rule, SimilarCond } from './types.js';

/** Cosine above which an utterance counts as "like" an example, unless the rule says otherwise. */
export const DEFAULT_THRESHOLD = 0.9;
const MAX_EXAMPLES = 300;
const MAX_EXAMPLE_CHARS = 500;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseSimilar(c: Checker, v: unknown, p: Path): SimilarCond | undefined {
  if (!isObj(v)) return c.fail(p, 'similar must be a mapping {examples: [sentences], threshold: 0.5 to 1 or {en: x, zh: y}}');
  if (!c.closed(v, p, ['examples', 'threshold'])) return undefined;
  const list = c.strings(v.examples, [...p, 'examples'], 'similar.examples', true);
  const tp = [...p, 'threshold'];
  let threshold: number | undefined = DEFAULT_THRESHOLD;
  let thresholds: SimilarCond['thresholds'];
  if (isObj(v.threshold)) {
    // {en: x, zh: y}: per language; a language not named gets the default.
    if (!c.closed(v.threshold, tp, ['en', 'zh'])) return undefined;
    thresholds = {};
    for (const lang of ['en', 'zh'] as const) {
      if (v.threshold[lang] === undefined) continue;
      const x = c.num(v.threshold[lang], [...tp, lang], 0.5, 1);
      if (x === undefined) return undefined;
      thresholds[lang] = x;
    }
  } else if (v.threshold !== undefined) threshold = c.num(v.threshold, tp, 0.5, 1);
  if (!list || threshold === undefined) return undefined;
  if (list.length > MAX_EXAMPLES) return c.fail([...p, 'examples'], `at most ${MAX_EXAMPLES} examples`);
  const long = list.findIndex((e) => e.length > MAX_EXAMPLE_CHARS);
  if (long >= 0) return c.fail([...p, 'examples', long], `an example is at most ${MAX_EXAMPLE_CHARS} characters`);
  return { kind: 'similar', examples: [...new Set(list.map((e) => e.trim()))], threshold, ...(thresholds ? { thresholds } : {}) };
}

/** Examples for a rule that may live in another file; applied once the whole set is known. */
export interface SimilarAdd {
  rule: string;
  cond: SimilarCond;
  /** file:line, for the "unknown rule" error. */
  source: string;
}

export function readSimilar(c: Checker, v: unknown, source: string): SimilarAdd[] {
  c.ruleId = '';
  const out: SimilarAdd[] = [];
  if (!isObj(v)) {
    c.fail(['similar'], 'similar must map rule ids to {examples: [...], threshold: x}');
    return out;
  }
  for (const [id, body] of Object.entries(v)) {
    c.ruleId = id;
    const cond = parseSimilar(c, body, ['similar', id]);
    if (cond) out.push({ rule: id, cond, source: `${source}:${c.where(['similar', id]).split(':')[0]}` });
  }
  c.ruleId = '';
  return out;
}

/**
 * Makes each rule also hit on its examples; errors for unknown ids. Examples widen what a rule
 * matches, never what it excludes: the rule's top-level `not:` guards ("my manager told me",
 * "tell your supervisor how helpful you were") hold for the examples too, so the result is
 * `any: [its when, all: [similar, ...its guards]]`.
 */
export function applySimilar(adds: SimilarAdd[], byId: Map<string, Rule>, errors: string[]): void {
  for (const a of adds) {
    const rule = byId.get(a.rule);
    if (!rule) {
      errors.push(`${a.source}: similar: examples for unknown rule "${a.rule}"`);
      continue;
    }
    const guards = rule.when.kind === 'all' ? rule.when.of.filter((c) => c.kind === 'not') : [];
    const alt: Cond = guards.length ? { kind: 'all', of: [a.cond, ...guards] } : a.cond;
    rule.when = { kind: 'any', of: [rule.when, alt] };
  }
}

/** Every `similar` condition of a rule set (their examples are embedded ahead of use). */
export function similarConds(rules: Rule[]): SimilarCond[] {
  const out: SimilarCond[] = [];
  const walk = (x: Cond): void => {
    if (x.kind === 'similar') out.push(x);
    else if (x.kind === 'all' || x.kind === 'any') x.of.forEach(walk);
    else if (x.kind === 'not') walk(x.of);
  };
  for (const r of rules) walk(r.when);
  return out;
}
