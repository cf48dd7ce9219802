// `earshot recordings rotate-key` / `keys` as an operator runs them (the built CLI): the ring is
// made 0600, a rotation adds an active key and keeps the old one, and no key bytes are printed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, EARSHOT_LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 30_000 });

t.before(() => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first (scripts/test.sh does)`);
});

t.test('rotate-key makes the ring, adds keys, prints ids only', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'earshot.yaml');
  writeFileSync(config, `dataDir: ${join(dir, 'data')}\nrecordings:\n  keyFile: ${join(dir, 'keys', 'ring.json')}\n`);
  const a = run(['recordings', 'rotate-key', '--config', config]);
  t.equal(a.status, 0, a.stderr);
  const ringPath = join(dir, 'keys', 'ring.json');
  t.equal(statSync(ringPath).mode & 0o777, 0o600);
  const b = run(['recordings', 'rotate-key', '--config', config]);
  t.equal(b.status, 0, b.stderr);
  const ring = JSON.parse(readFileSync(ringPath, 'utf8')) as { active: string; keys: Record<string, string> };
  t.equal(Object.keys(ring.keys).length, 2, 'the old key is kept');
  t.match(b.stdout, new RegExp(`new active recording key ${ring.active}`, 'u'));
  const list = run(['recordings', 'keys', '--config', config]);
  t.equal(list.status, 0, list.stderr);
  t.equal(list.stdout.trim().split('\n').length, 2);
  t.match(list.stdout, `${ring.active} (active)`);
  for (const k of Object.values(ring.keys)) t.notOk(`${a.stdout}${a.stderr}${b.stdout}${b.stderr}${list.stdout}`.includes(k), 'no key bytes in the output');
});
