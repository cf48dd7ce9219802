// Concept classes: named synonym and paraphrase sets ("wait", "manager", "money-taken") shared by
// every pack, so a category is written once by meaning instead of once per phrasing and per pack.
// Any source may define concepts under `concepts:`; definitions of one name in several sources are
// merged (a site pack adds its competitor names to the built-in `competitors`). An entry "$other"
// includes another concept; cycles and unknown names are errors with their positions.
import type { Checker, Obj, Path } from './parse.js';
import { ID, isObj } from './parse.js';

/** Concept name → its phrases, every "$other" expanded. */
export type Concepts = ReadonlyMap<string, readonly string[]>;

/** One definition of a concept, as written in one source. */
export interface ConceptDef {
  c: Checker;
  path: Path;
  /** Entries with their YAML paths ("$name" references not yet expanded). */
  items: { text: string; path: Path }[];
}

export const MAX_CONCEPT = 2000;

/** Reads `concepts:` of one source: `name: [phrases]` or `name: {en: [...], zh: [...]}`; [] is allowed (site lists). */
export function readConcepts(c: Checker, v: unknown, into: Map<string, ConceptDef[]>): void {
  if (!isObj(v)) return void c.fail(['concepts'], 'concepts must map names to lists of phrases (or to {en: [...], zh: [...]})');
  for (const [name, body] of Object.entries(v)) {
    const path: Path = ['concepts', name];
    if (!ID.test(name)) {
      c.fail(path, `concept name must match ${ID.source} (got ${JSON.stringify(name)})`);
      continue;
    }
    const items: ConceptDef['items'] = [];
    const take = (list: unknown, p: Path): boolean => {
      if (!Array.isArray(list)) return !c.fail(p, 'must be a list of phrases (may be empty)');
      list.forEach((s, i) => {
        if (typeof s !== 'string' || !s.trim()) c.fail([...p, i], 'concept entries must be non-empty strings');
        else items.push({ text: s, path: [...p, i] });
      });
      return true;
    };
    if (isObj(body)) {
      if (!c.closed(body as Obj, path, ['en', 'zh'])) continue;
      for (const lang of ['en', 'zh'] as const) if (body[lang] !== undefined) take(body[lang], [...path, lang]);
    } else take(body, path);
    const defs = into.get(name) ?? [];
    defs.push({ c, path, items });
    into.set(name, defs);
  }
}

/** Expands every concept; errors go to the Checker of the source that wrote the faulty entry. */
export function resolveConcepts(defs: ReadonlyMap<string, ConceptDef[]>): Map<string, string[]> {
  const done = new Map<string, string[]>();
  const visiting: string[] = [];
  const resolve = (name: string): string[] => {
    const ready = done.get(name);
    if (ready) return ready;
    visiting.push(name);
    const out = new Set<string>();
    for (const d of defs.get(name) ?? []) {
      for (const it of d.items) {
        if (!it.text.startsWith('$')) {
          out.add(it.text);
          continue;
        }
        const ref = it.text.slice(1);
        if (!defs.has(ref)) d.c.fail(it.path, `unknown concept "${it.text}" (concepts are defined under "concepts:", e.g. in config/rules/concepts.yaml)`);
        else if (visiting.includes(ref)) d.c.fail(it.path, `concepts form a cycle (${[...visiting.slice(visiting.indexOf(ref)), ref].join(' → ')})`);
        else for (const s of resolve(ref)) out.add(s);
      }
    }
    if (out.size > MAX_CONCEPT) defs.get(name)![0].c.fail(defs.get(name)![0].path, `concept "${name}" has more than ${MAX_CONCEPT} phrases`);
    visiting.pop();
    const list = [...out];
    done.set(name, list);
    return list;
  };
  for (const name of defs.keys()) resolve(name);
  return done;
}
