// Site terms: the lists a site adds to the built-in concept classes (its competitors' names, its
// own products) without editing YAML. They are stored as one console pack, `site-terms`, whose
// `concepts:` section extends the concepts of the same names (definitions merge), so they go
// through the same validation, versioning, audit and reload as any pack. A dry run compares the
// running set with the set these terms would make, over stored calls, before anything is saved.
import { parse, stringify } from 'yaml';
import { buildRuleSet, type RuleSource } from './load.js';
import { collectConcepts } from './parse.js';
import type { RuleSet } from './types.js';
import { dbSource, listPacks, storedPacks, type PacksSource } from './packs.js';

export const SITE_TERMS_ID = 'site-terms';
/** Lists the console offers even when empty; any other concept of the set may be extended too. */
export const SITE_TERM_LISTS = ['competitors', 'products'] as const;
export const SITE_TERM_LIMITS = { terms: 500, length: 100 };

export type TermLists = Record<string, string[]>;

const HEADER = '# Site terms, edited in the console (Rules → Site terms). Each list extends the concept of the same name.\n';

/** The YAML stored for `lists` (empty lists dropped). */
export function termsYaml(lists: TermLists): string {
  const concepts = Object.fromEntries(Object.entries(lists).filter(([, v]) => v.length));
  return HEADER + stringify({ concepts }, { lineWidth: 0 });
}

/** The site's lists as stored (an unreadable body yields none: the set validation reports it). */
export function storedTerms(db: PacksSource): { version: number; lists: TermLists } {
  const row = storedPacks(db).find((p) => p.id === SITE_TERMS_ID);
  const lists: TermLists = Object.fromEntries(SITE_TERM_LISTS.map((n) => [n, [] as string[]]));
  if (!row) return { version: 0, lists };
  try {
    const doc = parse(row.body) as { concepts?: Record<string, unknown> } | null;
    for (const [k, v] of Object.entries(doc?.concepts ?? {})) if (Array.isArray(v)) lists[k] = v.filter((x): x is string => typeof x === 'string');
  } catch {
    // Left empty.
  }
  return { version: row.version, lists };
}

/** Sources of every pack except the site terms (what the built-in concepts come from). */
function otherSources(dir: string, db: PacksSource): RuleSource[] {
  return listPacks(dir, db)
    .filter((p) => p.id !== SITE_TERMS_ID)
    .map((p) => (p.origin === 'db' ? { text: p.text, source: dbSource(p.id) } : { text: p.text, source: p.file! }));
}

/** Built-in entries of the offered lists (and of any list the site extends), for the console to show. */
export function builtinTerms(dir: string, db: PacksSource, names: string[]): TermLists {
  const { concepts } = collectConcepts(otherSources(dir, db));
  return Object.fromEntries(names.map((n) => [n, [...(concepts.get(n) ?? [])]]));
}

export type TermsCheck = { ok: true; yaml: string; set: RuleSet; lists: TermLists } | { ok: false; errors: string[] };

/** Normalises and validates lists: known concepts, plain phrases, bounded; then the whole set. */
export function checkTerms(dir: string, db: PacksSource, input: TermLists): TermsCheck {
  const errors: string[] = [];
  const others = otherSources(dir, db);
  const { concepts } = collectConcepts(others);
  const lists: TermLists = {};
  for (const [name, raw] of Object.entries(input)) {
    if (!concepts.has(name)) {
      errors.push(`site terms: "${name}" is not a concept of the rule set (known: ${[...concepts.keys()].sort().join(', ')})`);
      continue;
    }
    const seen = new Set<string>();
    for (const [i, t] of raw.entries()) {
      const term = t.trim().replace(/\s+/gu, ' ');
      if (!term) continue;
      if (term.length > SITE_TERM_LIMITS.length) errors.push(`site terms: ${name}[${i}]: longer than ${SITE_TERM_LIMITS.length} characters`);
      else if (/^[$#]/u.test(term)) errors.push(`site terms: ${name}[${i}]: a term is a plain phrase (no "$" reference or "#")`);
      else seen.add(term);
    }
    if (seen.size > SITE_TERM_LIMITS.terms) errors.push(`site terms: ${name}: at most ${SITE_TERM_LIMITS.terms} terms`);
    lists[name] = [...seen];
  }
  if (errors.length) return { ok: false, errors };
  const yaml = termsYaml(lists);
  const r = buildRuleSet([...others, { text: yaml, source: dbSource(SITE_TERMS_ID) }]);
  return r.ok ? { ok: true, yaml, set: r.set, lists } : { ok: false, errors: r.errors };
}

/** The set running now (site terms as stored), for a dry run's "before". */
export function currentSet(dir: string, db: PacksSource): RuleSet | undefined {
  const r = buildRuleSet(listPacks(dir, db).map((p) => (p.origin === 'db' ? { text: p.text, source: dbSource(p.id) } : { text: p.text, source: p.file! })));
  return r.ok ? r.set : undefined;
}
