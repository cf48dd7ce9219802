// `earshot ingest key NAME` as an operator runs it (the built CLI): a fresh key shown once and the
// forks.apiKeys entry holding only its SHA-256; that entry passes `config check`, and a key file
// that cannot be read fails it with the entry named.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));
const run = (args: string[], extra: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, EARSHOT_LOG_LEVEL: 'warn', ...extra }, encoding: 'utf8', timeout: 30_000 });

t.before(() => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first (scripts/test.sh does)`);
});

t.test('ingest key prints a key once and an entry with its hash that config check accepts', async (t) => {
  const r = run(['ingest', 'key', 'sbc-7', '--protocols', 'jambonz,audiohook']);
  t.equal(r.status, 0, r.stderr);
  const key = /shown once[^\n]*\n {2}(\S+)/.exec(r.stdout)?.[1] ?? '';
  const hash = /keySha256: ([0-9a-f]{64})/.exec(r.stdout)?.[1];
  t.ok(key.length >= 32, 'a long random key');
  t.equal(hash, createHash('sha256').update(key).digest('hex'), 'the entry holds the key’s SHA-256');
  t.match(r.stdout, /- name: sbc-7\n\s+keySha256: [0-9a-f]{64}\n\s+protocols: \[jambonz, audiohook\]/);
  t.not(run(['ingest', 'key', 'sbc-7']).stdout.includes(key), 'a new key every time');

  const entry = JSON.stringify([{ name: 'sbc-7', keySha256: hash, protocols: ['jambonz', 'audiohook'] }]);
  const ok = run(['config', 'check'], { EARSHOT_FORKS_API_KEYS: entry, EARSHOT_DATA_DIR: t.testdir() });
  t.equal(ok.status, 0, ok.stderr);
  const missing = run(['config', 'check'], { EARSHOT_FORKS_API_KEYS: JSON.stringify([{ name: 'pbx', keyFile: '/nonexistent/pbx.key' }]), EARSHOT_DATA_DIR: t.testdir() });
  t.equal(missing.status, 1);
  t.match(missing.stderr, /forks\.apiKeys\[0\] \(pbx\): keyFile .* cannot read \(ENOENT\)/);
  const badName = run(['ingest', 'key', 'no spaces']);
  t.equal(badName.status, 1);
});
