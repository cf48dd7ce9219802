// Display names of categories (rule ids) in the console's language, from GET /categories; an id
// without a name (a rule removed since, or a custom event) is shown as it is.
import { api } from './api.js';
import { getLang } from './i18n.js';

let names = new Map();
let pending;

/** Fetches the names once per session (again after `reload`). Never rejects: ids are the fallback. */
export function loadCategoryNames(reload = false) {
  if (reload) pending = undefined;
  pending ??= api('/categories').then(
    (r) => void (names = new Map(r.categories.map((c) => [c.id, c]))),
    () => void (pending = undefined),
  );
  return pending;
}

export function catName(id) {
  const c = names.get(id);
  return (c && (c.names[getLang()] || c.names.en || c.name)) || id;
}
