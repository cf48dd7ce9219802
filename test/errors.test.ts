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
