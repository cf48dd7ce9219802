// `earshot models fetch|import|list` as an operator runs them: the built CLI in a child process,
// a local HTTPS server with a self-signed certificate trusted through NODE_EXTRA_CA_CERTS, the
// progress output, the recorded digest, and a refused digest with its error code and exit status.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { madeUpArchive, manifestsDir, NAME, selfSigned, serveHttps } from '../speech/fetch-helpers.js';
import { scratch } from '../speech/helpers.js';

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));

t.before(() => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first (scripts/test.sh does)`);
});

/** Runs the CLI (bounded in time, killed by PID in teardown) and collects its output. */
function earshot(t: Test, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, HTTPS_PROXY: '', https_proxy: '', EARSHOT_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    t.teardown(() => {
      clearTimeout(timer);
      if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

t.test('models fetch over HTTPS with a site CA, then list; a wrong --sha256 is refused with its code', async (t) => {
  const tls = await selfSigned(t);
  const archive = await madeUpArchive(t);
  const srv = await serveHttps(t, tls, archive.body);
  const manifests = manifestsDir(t, { url: srv.url });
  const dataDir = scratch(t);
  const env = { EARSHOT_DATA_DIR: dataDir, NODE_EXTRA_CA_CERTS: tls.certPath };

  const unpinned = await earshot(t, ['models', 'fetch', NAME, '--manifests', manifests], env);
  t.equal(unpinned.code, 1);
  t.match(unpinned.stderr, /has no sha256 pinned in its manifest.*--sha256 <hex> \(EARSHOT_ERR_MODEL_UNPINNED\)/);

  const wrong = await earshot(t, ['models', 'fetch', NAME, '--manifests', manifests, '--sha256', 'e'.repeat(64)], env);
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, /expected e{64} \(given with --sha256\).*nothing was installed \(EARSHOT_ERR_MODEL_CHECKSUM\)/);
  t.notOk(existsSync(join(dataDir, 'models', NAME)));

  srv.cutNextAt = 50000; // the fetch survives a dropped connection
  const ok = await earshot(t, ['models', 'fetch', NAME, '--manifests', manifests, '--sha256', archive.sha256], env);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, new RegExp(`${NAME}: installed and valid`));
  t.match(ok.stdout, /speech.sherpa.model: made-up-model/);
  t.match(ok.stderr, /made-up-model download: 100% \(\d+\/\d+ bytes\)/, 'progress on a non-TTY: periodic lines');
  t.ok(srv.requests.some((r) => /^bytes=\d+-$/.test(r.range ?? '')), 'resumed with a Range request');
  const rec = JSON.parse(readFileSync(join(dataDir, 'models', NAME, '.earshot-model.json'), 'utf8')) as Record<string, string>;
  t.match(rec, { archiveSha256: archive.sha256, sha256Source: 'operator' });

  const list = await earshot(t, ['models', 'list', '--json', '--manifests', manifests], env);
  t.equal(list.code, 0);
  t.match(JSON.parse(list.stdout), [{ name: NAME, installed: true, ok: true }]);

  // Without the CA the certificate is refused, and said so.
  const untrusted = await earshot(t, ['models', 'fetch', NAME, '--manifests', manifests, '--sha256', archive.sha256], { EARSHOT_DATA_DIR: scratch(t) });
  t.equal(untrusted.code, 1);
  t.match(untrusted.stderr, /certificate not trusted.*NODE_EXTRA_CA_CERTS.*\(EARSHOT_ERR_MODEL_TLS\)/);

  const imp = await earshot(t, ['models', 'import', archive.path, '--manifests', manifests, '--sha256', archive.sha256], { EARSHOT_DATA_DIR: scratch(t) });
  t.equal(imp.code, 0, imp.stderr);
  t.match(imp.stdout, /installed and valid/);
});
