// The built CLI as an operator runs it: `earshot serve` in a child process, readiness, a bad
// configuration refused with the key named, and graceful shutdown on SIGTERM.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));
const env = (dataDir: string, extra: Record<string, string> = {}) => ({
  ...process.env,
  EARSHOT_DATA_DIR: dataDir,
  EARSHOT_HTTP_HOST: '127.0.0.1',
  EARSHOT_HTTP_PORT: '0',
  EARSHOT_SIP_FRONT: 'off',
  EARSHOT_LOG_LEVEL: 'warn',
  EARSHOT_SPEECH_WORKERS: '1',
  ...extra,
});

t.before(() => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first (scripts/test.sh does)`);
});

t.test('config check names the bad key and exits non-zero', async (t) => {
  const r = spawnSync(process.execPath, [cli, 'config', 'check'], { env: env(t.testdir(), { EARSHOT_SPEECH_ENGINE: 'whisper' }), encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 1);
  t.match(r.stderr, /speech\.engine = "whisper": must be one of "pocketsphinx", "sherpa"/);
  const ok = spawnSync(process.execPath, [cli, 'config', 'check'], { env: env(t.testdir()), encoding: 'utf8', timeout: 30_000 });
  t.equal(ok.status, 0);
  t.match(ok.stdout, /configuration ok/);
});

t.test('serve refuses to start on a bad config file', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'limits:\n  maxCalls: 0\n' });
  const r = spawnSync(process.execPath, [cli, 'serve', '-c', join(dir, 'bad.yaml')], { env: env(dir), encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 1);
  t.match(r.stderr, /limits\.maxCalls = 0: must be integer >= 1/);
});

t.test('serve: ready, then SIGTERM shuts down cleanly with the store flushed', { timeout: 90_000 }, async (t) => {
  const dataDir = t.testdir();
  const child = spawn(process.execPath, [cli, 'serve'], { env: env(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 80_000);
  t.teardown(() => {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /console at (http:\/\/[^\s]+?)\/?\n/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
  });
  const ready = await fetch(`${url}/readyz`);
  t.equal(ready.status, 200, '/readyz answers 200');
  t.match(await ready.json(), { checks: { store: { ok: true }, speech: { ok: true } } });
  t.equal((await fetch(`${url}/healthz`)).status, 200);
  t.equal((await fetch(`${url}/api/v1/calls`)).status, 401, 'the API needs a session');

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit code 0 after SIGTERM');
  const db = new Database(join(dataDir, 'earshot.db'), { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  t.ok((db.pragma('user_version', { simple: true }) as number) >= 1, 'migrated');
});
