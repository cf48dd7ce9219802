import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// SQL belongs to the store's repositories (src/store/repos): no database statement is prepared,
// executed or wrapped in a transaction anywhere else in src/. Every stage's SQL has moved (issue 16):
// the list of exceptions is empty and must stay so.
const NOT_YET_MOVED = new Set<string>([]);
const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
// `db.prepare(`, `.prepare(` on a new line, `db.exec(`, `db.transaction(` — not `call.prepare(t)` or RegExp#exec.
const SQL_CALL = /(?:\bdb\b\s*|^\s*)\.(?:prepare|exec|transaction)\(|\bdb\.(?:prepare|exec|transaction)\(/mu;

export function offenders(files: Record<string, string>): string[] {
  return Object.entries(files).filter(([f, text]) => !f.startsWith('store/') && SQL_CALL.test(text)).map(([f]) => f).sort();
}

t.test('no SQL outside src/store', async (t) => {
  const files: Record<string, string> = {};
  for (const f of readdirSync(SRC, { recursive: true, encoding: 'utf8' })) if (f.endsWith('.ts')) files[f] = readFileSync(join(SRC, f), 'utf8');
  const found = offenders(files);
  t.same(found.filter((f) => !NOT_YET_MOVED.has(f)), [], 'new SQL outside src/store: put it in a repository under src/store/repos');
  t.same([...NOT_YET_MOVED].filter((f) => !found.includes(f)), [], 'moved: remove the file from NOT_YET_MOVED');
});

t.test('the scan finds what it must and nothing else', async (t) => {
  t.same(offenders({
    'a/x.ts': "const r = db.prepare('SELECT 1').get();",
    'a/y.ts': "const r = this.store.db\n  .prepare('SELECT 1');",
    'a/z.ts': 'db.exec(SCHEMA);',
    'a/w.ts': 'return db.transaction(() => 1)();',
    'a/ok.ts': 'const p = call.prepare(t, id); /x/u.exec(s);',
    'store/repos/q.ts': "db.prepare('SELECT 1');",
  }), ['a/w.ts', 'a/x.ts', 'a/y.ts', 'a/z.ts']);
});
