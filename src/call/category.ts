import type { CallEvent } from './types.js';

/**
 * The category a `category` call event names: analysis puts it in data.category (or data.rule,
 * data.id for older rule packs). The SQL twin is CATEGORY_ID_SQL in src/store/sql.ts (it reads
 * category and rule, the two keys migration 005 indexes).
 */
export function categoryId(e: CallEvent): string | undefined {
  return categoryIdOf(e.data);
}

/** The same rule over a stored event's parsed data (sync reads events back from the store). */
export function categoryIdOf(data: Record<string, unknown> | null | undefined): string | undefined {
  const d = data ?? {};
  const id = d.category ?? d.rule ?? d.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : undefined;
}
