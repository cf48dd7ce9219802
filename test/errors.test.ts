import t from 'tap';
import { readFileSync } from 'node:fs';
import { ERRORS, EarshotError } from '../src/errors.js';

t.test('every error code is documented with its HTTP status', async (t) => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  for (const [code, e] of Object.entries(ERRORS)) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\``));
    t.ok(row, `${code} has a row in docs/errors.md`);
    t.match(row ?? '', `| ${e.http} |`, `${code} documents HTTP ${e.http}`);
  }
});

t.test('EarshotError carries code, status and detail', async (t) => {
  const e = new EarshotError('EARSHOT_ERR_CALL_LIMIT', '200 active');
  t.equal(e.code, 'EARSHOT_ERR_CALL_LIMIT');
  t.equal(e.statusCode, 503);
  t.equal(e.message, 'call limit reached: 200 active');
});

t.test('every EARSHOT_ERR_* code used in src/ is in the table and documented', async (t) => {
  const { readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const root = new URL('../src/', import.meta.url).pathname;
  const used = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.ts')) for (const m of readFileSync(join(dir, e.name), 'utf8').matchAll(/EARSHOT_ERR_[A-Z_]+[A-Z]/g)) used.add(m[0]);
    }
  };
  walk(root);
  t.ok(used.size > 10, `found ${used.size} codes`);
  for (const code of used) t.ok(code in ERRORS, `${code} is in src/errors.ts`);
});
