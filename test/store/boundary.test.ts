import t from 'tap';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

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

function sources(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) if (f.endsWith('.ts')) files[f] = readFileSync(join(dir, f), 'utf8');
  return files;
}

t.test('no SQL outside src/store', async (t) => {
  const files = sources(SRC);
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

// Nor does the connection leave src/store: no file elsewhere in src/ reads a store's `db` (`store.db`,
// `deps.store.db`, `store['db']`, `{ db } = store`, `Pick<Store, 'db'>`, `Store['db']`) or takes it with
// connectionOf (src/store/store.ts, for src/store and tests). Stages use `store.repos.*` and the store's
// methods. The files below read it until the channel2 branch (which owns all but kpi/store-rollups.ts this
// round) stops; at merge the list is emptied and `db` deleted from Store and SqliteStore, so tsc names any
// reader this scan cannot see (a store under another name).
const STILL_READ_DB = new Set<string>([]);

/** Files outside store/ that reach for a store's connection, parsed (strings and comments do not count). */
export function dbReaders(files: Record<string, string>): string[] {
  // Only files that name `db` or the accessor at all are parsed (a tenth of src/).
  return Object.entries(files).filter(([f, text]) => !f.startsWith('store/') && /\bdb\b|connectionOf/u.test(text) && readsDb(f, text)).map(([f]) => f).sort();
}

function readsDb(name: string, text: string): boolean {
  const sf = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  // `store`, `deps.store`, `this.d.store`, also through `!`, parentheses and casts.
  const bare = (e: ts.Expression): ts.Expression =>
    ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e) ? bare(e.expression) : e;
  const storeish = (e: ts.Expression) => /store$/iu.test(bare(e).getText(sf));
  const isDb = (n: ts.Node | undefined): boolean =>
    !!n && ((ts.isLiteralTypeNode(n) && ts.isStringLiteral(n.literal) && n.literal.text === 'db') || (ts.isUnionTypeNode(n) && n.types.some(isDb)));
  const hit = (n: ts.Node): boolean => {
    if (ts.isPropertyAccessExpression(n) && n.name.text === 'db' && storeish(n.expression)) return true;
    if (ts.isElementAccessExpression(n) && ts.isStringLiteralLike(n.argumentExpression) && n.argumentExpression.text === 'db' && storeish(n.expression)) return true;
    if (ts.isVariableDeclaration(n) && n.initializer && ts.isObjectBindingPattern(n.name) && storeish(n.initializer)) {
      if (n.name.elements.some((el) => (el.propertyName ?? el.name).getText(sf) === 'db')) return true;
    }
    if (ts.isTypeReferenceNode(n) && n.typeName.getText(sf) === 'Pick' && n.typeArguments?.[0].getText(sf) === 'Store' && isDb(n.typeArguments[1])) return true;
    if (ts.isIndexedAccessTypeNode(n) && n.objectType.getText(sf) === 'Store' && isDb(n.indexType)) return true;
    if (ts.isIdentifier(n) && n.text === 'connectionOf') return true;
    return ts.forEachChild(n, (c) => (hit(c) ? true : undefined)) ?? false;
  };
  return hit(sf);
}

t.test("no file outside src/store reads a store's connection", async (t) => {
  const found = dbReaders(sources(SRC));
  t.same(found.filter((f) => !STILL_READ_DB.has(f)), [], "a store's db read outside src/store: use store.repos.* or a store method");
  t.same([...STILL_READ_DB].filter((f) => !found.includes(f)), [], 'no longer reads it: remove the file from STILL_READ_DB');
});

t.test('the connection scan finds a read planted in a copy of a real file, and nothing in the untouched copy', async (t) => {
  const dir = t.testdir();
  mkdirSync(join(dir, 'care'));
  const real = readFileSync(join(SRC, 'care', 'cases.ts'), 'utf8');
  writeFileSync(join(dir, 'care', 'cases.ts'), real);
  t.same(dbReaders(sources(dir)), []);
  writeFileSync(join(dir, 'care', 'cases.ts'), real.replace('this.#repo = d.store.repos.cases;', 'this.#repo = d.store.repos.cases;\n    void d.store.db;'));
  t.same(dbReaders(sources(dir)), ['care/cases.ts']);
});

t.test('the connection scan finds each form and nothing else', async (t) => {
  t.same(dbReaders({
    'a/dot.ts': 'const db = deps.store.db;',
    'a/bang.ts': 'late.store!.db.pragma("x");',
    'a/cast.ts': 'void (deps.store as unknown as { db: D }).db; const { db: c } = deps.store as never;',
    'a/this.ts': 'f(this.d.store.db);',
    'a/elem.ts': "const c = store['db'];",
    'a/destructure.ts': 'const { db, repos } = deps.store;',
    'a/pick.ts': "export interface D { store: Pick<Store, 'db' | 'repos'> }",
    'a/indexed.ts': "type C = Store['db'];",
    'a/accessor.ts': "import { connectionOf } from '../store/store.js';",
    'a/ok.ts': "const p = join(dir, 'earshot.db'); const o = opts.db; // store.db\nconst s = 'store.db'; const r = store.repos; type P = Pick<Store, 'repos'>;",
    'store/retention.ts': 'const db = connectionOf(store); store.db;',
  }), ['a/accessor.ts', 'a/bang.ts', 'a/cast.ts', 'a/destructure.ts', 'a/dot.ts', 'a/elem.ts', 'a/indexed.ts', 'a/pick.ts', 'a/this.ts']);
});
