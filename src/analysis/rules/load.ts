// Loads a directory of rule files into one set: all files valid or nothing changes.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { collectConcepts, parseRuleSource } from './parse.js';
import { scorecardRefs } from './scorecard.js';
import { applySimilar, type SimilarAdd } from './similar.js';
import type { Cond, Rule, RuleSet, Scorecard } from './types.js';
import { EarshotError } from '../../errors.js';

export class RulesError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_RULES';
  constructor(readonly errors: string[]) {
    super('EARSHOT_ERR_RULES', undefined, { message: `rules failed to load:\n  - ${errors.join('\n  - ')}` });
    this.name = 'RulesError';
  }
}

export type LoadResult = { ok: true; set: RuleSet } | { ok: false; errors: string[] };

/** A rule document from elsewhere than the rules directory (the database's rules table). */
export interface RuleSource {
  text: string;
  /** Named in errors, e.g. "db:rule/complaint-v3". */
  source: string;
}

/**
 * Reads every *.yaml / *.yml in `dir` (sorted by name), adds `extra`, and validates them as one set.
 * A pack saved from the console (`db:rule/<name>`) replaces the file of the same name.
 */
export async function loadRules(dir: string, extra: RuleSource[] = []): Promise<LoadResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/u.test(n)).sort();
  } catch (err) {
    return { ok: false, errors: [`${dir}: cannot read rules directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`] };
  }
  const replaced = new Set(extra.map((s) => /^db:rule\/(.+)$/u.exec(s.source)?.[1]).filter((x): x is string => !!x));
  names = names.filter((n) => !replaced.has(n.replace(/\.ya?ml$/u, '')));
  const sources: { text: string; source: string }[] = [];
  for (const n of names) {
    const file = join(dir, n);
    try {
      sources.push({ text: await readFile(file, 'utf8'), source: file });
    } catch (err) {
      return { ok: false, errors: [`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`] };
    }
  }
  return buildRuleSet([...sources, ...extra]);
}

/** Validates sources (files or database rows) as one set: unique ids, known references, no cycles. */
export function buildRuleSet(sources: RuleSource[]): LoadResult {
  // Concept classes are shared by the whole set, so they are gathered from every source first.
  const { concepts, errors } = collectConcepts(sources);
  const rules: Rule[] = [];
  const scorecards: Scorecard[] = [];
  const similar: SimilarAdd[] = [];
  for (const s of sources) {
    const r = parseRuleSource(s.text, s.source, concepts);
    errors.push(...r.errors);
    rules.push(...r.rules);
    scorecards.push(...r.scorecards);
    similar.push(...(r.similar ?? []));
  }
  const byId = new Map<string, Rule>();
  for (const r of rules) {
    const prev = byId.get(r.id);
    if (prev) errors.push(`${r.source}: rule "${r.id}": id already used at ${prev.source}`);
    else byId.set(r.id, r);
  }
  applySimilar(similar, byId, errors);
  for (const r of rules) {
    for (const ref of refs(r.when)) if (!byId.has(ref)) errors.push(`${r.source}: rule "${r.id}": hit refers to unknown rule "${ref}"`);
  }
  const cards = new Map<string, Scorecard>();
  for (const card of scorecards) {
    const prev = cards.get(card.id);
    if (prev) errors.push(`${card.source}: scorecard "${card.id}": id already used in ${prev.source}`);
    cards.set(card.id, card);
    for (const ref of scorecardRefs(card)) if (!byId.has(ref)) errors.push(`${card.source}: scorecard "${card.id}": refers to unknown rule "${ref}"`);
  }
  if (errors.length) return { ok: false, errors };
  const ordered = order(rules, byId, errors);
  return errors.length ? { ok: false, errors } : { ok: true, set: { rules: ordered, scorecards, files: sources.map((s) => s.source) } };
}

function refs(c: Cond): string[] {
  switch (c.kind) {
    case 'all':
    case 'any':
      return c.of.flatMap(refs);
    case 'not':
      return refs(c.of);
    case 'hit':
      return [c.rule];
    default:
      return [];
  }
}

/** Rules a `hit:` refers to run first on each utterance, so the reference sees this utterance's hit. */
function order(rules: Rule[], byId: Map<string, Rule>, errors: string[]): Rule[] {
  const out: Rule[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (r: Rule, chain: string[]) => {
    const s = state.get(r.id);
    if (s === 'done') return;
    if (s === 'visiting') {
      errors.push(`${r.source}: rule "${r.id}": hit references form a cycle (${[...chain, r.id].join(' → ')})`);
      return;
    }
    state.set(r.id, 'visiting');
    for (const ref of refs(r.when)) visit(byId.get(ref)!, [...chain, r.id]);
    state.set(r.id, 'done');
    out.push(r);
  };
  for (const r of rules) visit(r, []);
  return out;
}
