// The categories the analysis can raise (rule ids) with their display names per language, for
// every console view that shows a category: the console shows "流失意向", not "churn-intent".
import type { FastifyInstance } from 'fastify';
import type { RulePacksRepo } from '../../store/repos/rule-packs.js';
import { buildRuleSet, collectConcepts, parseRuleSource, type Rule } from '../../analysis/index.js';
import { listPacks, dbSource, type PacksSource } from '../../analysis/rules/packs.js';

export interface CategoryInfo {
  id: string;
  /** The pack's plain name (English, or the only one given). */
  name?: string;
  /** Per language; en falls back to `name`. */
  names: { en?: string; zh?: string };
  severity?: string;
  intent?: string;
  pack: string;
}

/** Rules of the running combination (files, console-saved packs in their place). */
export function categoryCatalog(dir: string, db: PacksSource): CategoryInfo[] {
  const packs = listPacks(dir, db);
  const sources = packs.map((p) => ({ text: p.text, source: p.origin === 'db' ? dbSource(p.id) : p.file!, pack: p.id }));
  const whole = buildRuleSet(sources);
  let rules: (Rule & { pack?: string })[];
  if (whole.ok) rules = whole.set.rules;
  else {
    // A broken set (the stage keeps running its last good one): still name what parses.
    const { concepts } = collectConcepts(sources);
    rules = sources.flatMap((s) => parseRuleSource(s.text, s.source, concepts).rules);
  }
  const packOf = new Map(sources.map((s) => [s.source, s.pack]));
  return rules.map((r) => ({
    id: r.id,
    ...(r.name ? { name: r.name } : {}),
    names: { en: r.names?.en ?? r.name, ...(r.names?.zh ? { zh: r.names.zh } : {}) },
    ...(r.severity ? { severity: r.severity } : {}),
    ...(r.intent ? { intent: r.intent } : {}),
    pack: packOf.get(r.source.replace(/:\d+$/u, '')) ?? '',
  }));
}

/** GET /categories (any role: names are not transcript content). */
export function categoryRoutes(app: FastifyInstance, deps: { rulesDir: string; store: { repos: { rulePacks: RulePacksRepo } } }): void {
  app.get('/categories', async () => ({ categories: categoryCatalog(deps.rulesDir, deps.store.repos.rulePacks) }));
}
