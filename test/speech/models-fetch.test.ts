// `models fetch` against a real local HTTPS server (self-signed certificate made here with openssl)
// serving a made-up model archive: verified, resumed after the server cuts the connection, refused
// on a wrong digest, through an HTTPS proxy (a real CONNECT proxy), TLS trust and disk-space errors.
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { fetchModel, importModel } from '../../src/speech/models/index.js';
import { madeUpArchive, manifestsDir, NAME, selfSigned, serveHttps } from './fetch-helpers.js';
import { scratch } from './helpers.js';

/** A real HTTP CONNECT proxy (what HTTPS_PROXY points at), counting the tunnels it opened. */
async function connectProxy(t: Test): Promise<{ url: string; tunnels: string[] }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const proxy = createHttpServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [upstream, client]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  t.teardown(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    proxy.close(() => r());
  }));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, tunnels };
}

const record = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, 'models', NAME, '.earshot-model.json'), 'utf8')) as Record<string, string>;
const noProxyEnv = { HTTPS_PROXY: '', https_proxy: '' };

t.test('models fetch over HTTPS', async (t) => {
  const tls = await selfSigned(t);
  const archive = await madeUpArchive(t);
  const srv = await serveHttps(t, tls, archive.body);

  await t.test('an unpinned manifest needs --sha256; the download is verified and the digest recorded', async (t) => {
    const dir = manifestsDir(t, { url: srv.url });
    const dataDir = scratch(t);
    await t.rejects(fetchModel(NAME, dataDir, undefined, { manifestsDir: dir, ca: tls.cert }), { code: 'EARSHOT_ERR_MODEL_UNPINNED', message: /pass it with --sha256/ });
    await t.rejects(fetchModel(NAME, dataDir, undefined, { manifestsDir: dir, ca: tls.cert, sha256: 'abc' }), { code: 'EARSHOT_ERR_MODEL_DIGEST_ARG' });
    const phases = new Set<string>();
    const st = await fetchModel(NAME, dataDir, (p) => phases.add(p.phase), { manifestsDir: dir, ca: tls.cert, sha256: archive.sha256.toUpperCase(), env: noProxyEnv });
    t.match(st, { name: NAME, installed: true, ok: true, resumedFrom: 0 });
    t.same([...phases], ['download', 'checksum', 'unpack', 'validate', 'done']);
    t.match(record(dataDir), { archiveSha256: archive.sha256, sha256Source: 'operator', source: srv.url });
    t.same(readdirSync(join(dataDir, 'models')), [NAME], 'no partial file, lock or temp dir left');
  });

  await t.test('a manifest pin is used, and an operator digest that contradicts it is refused', async (t) => {
    const dir = manifestsDir(t, { url: srv.url, sha256: archive.sha256 });
    const dataDir = scratch(t);
    await t.rejects(fetchModel(NAME, dataDir, undefined, { manifestsDir: dir, ca: tls.cert, sha256: 'a'.repeat(64) }), { code: 'EARSHOT_ERR_MODEL_DIGEST_ARG', message: /differs from the sha256 pinned/ });
    await fetchModel(NAME, dataDir, undefined, { manifestsDir: dir, ca: tls.cert, env: noProxyEnv });
    t.match(record(dataDir), { sha256Source: 'manifest' });
  });

  await t.test('a connection cut mid-body is resumed with a Range request', async (t) => {
    const dir = manifestsDir(t, { url: srv.url, sha256: archive.sha256 });
    const dataDir = scratch(t);
    srv.requests.length = 0;
    const half = Math.floor(archive.body.length / 2);
    srv.cutNextAt = half;
    const st = await fetchModel(NAME, dataDir, undefined, { manifestsDir: dir, ca: tls.cert, env: noProxyEnv });
    t.match(st, { ok: true });
    t.equal(srv.requests.length, 2, 'one cut request, one resume');
    t.notOk(srv.requests[0].range, 'first request for the whole file');
    t.match(srv.requests[1], { range: new RegExp(`^bytes=${half}-$`), ifRange: /^"/ }, 'resumed at the byte the cut left, for the same ETag');
    t.notOk(existsSync(join(dataDir, 'models', `.download-${NAME}.part`)), 'partial file removed after install');
    t.ok(existsSync(join(dataDir, 'models', NAME, 'model.onnx')));
  });

  await t.test('an interrupted fetch leaves its partial file; the next run resumes it', async (t) => {
    const dir = manifestsDir(t, { url: srv.url, sha256: archive.sha256 });
    const dataDir = scratch(t);
    srv.cutNextAt = 1000;
    await t.rejects(fetchModel(NAME, dataDir, undefined, { manifestsDir: dir, ca: tls.cert, env: noProxyEnv, retries: 0 }), {
      code: 'EARSHOT_ERR_MODEL_DOWNLOAD',
      message: /broke off after 1000 of \d+ bytes.*run the same command again to resume/,
    });
    t.notOk(existsSync(join(dataDir, 'models', NAME)), 'nothing installed');
    const st = await fetchModel(NAME, dataDir, undefined, { manifestsDir: dir, ca: tls.cert, env: noProxyEnv, retries: 0 });
    t.match(st, { ok: true, resumedFrom: 1000 });
  });

  await t.test('a wrong digest is refused: the download is deleted and nothing installed', async (t) => {
    const dir = manifestsDir(t, { url: srv.url, sha256: 'f'.repeat(64) });
    const dataDir = scratch(t);
    await t.rejects(fetchModel(NAME, dataDir, undefined, { manifestsDir: dir, ca: tls.cert, env: noProxyEnv }), { code: 'EARSHOT_ERR_MODEL_CHECKSUM', message: /expected f{64} \(pinned in the manifest\)/ });
    t.same(readdirSync(join(dataDir, 'models')), [], 'no partial download kept for a bad archive');
  });

  await t.test('an untrusted certificate is its own error', async (t) => {
    const dir = manifestsDir(t, { url: srv.url, sha256: archive.sha256 });
    await t.rejects(fetchModel(NAME, scratch(t), undefined, { manifestsDir: dir, env: noProxyEnv }), { code: 'EARSHOT_ERR_MODEL_TLS', message: /NODE_EXTRA_CA_CERTS/ });
  });

  await t.test('HTTPS_PROXY tunnels the download; NO_PROXY bypasses it', async (t) => {
    const proxy = await connectProxy(t);
    const dir = manifestsDir(t, { url: srv.url, sha256: archive.sha256 });
    const st = await fetchModel(NAME, scratch(t), undefined, { manifestsDir: dir, ca: tls.cert, env: { HTTPS_PROXY: proxy.url } });
    t.match(st, { ok: true });
    t.same(proxy.tunnels, [new URL(srv.url).host], 'one CONNECT to the file server');
    await fetchModel(NAME, scratch(t), undefined, { manifestsDir: dir, ca: tls.cert, env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } });
    t.equal(proxy.tunnels.length, 1, 'NO_PROXY host fetched directly');
    const dead = manifestsDir(t, { url: srv.url, sha256: archive.sha256 });
    await t.rejects(fetchModel(NAME, scratch(t), undefined, { manifestsDir: dead, ca: tls.cert, retries: 0, env: { HTTPS_PROXY: 'http://127.0.0.1:1' } }), {
      code: 'EARSHOT_ERR_MODEL_DOWNLOAD',
      message: /via proxy 127.0.0.1:1/,
    });
  });

  await t.test('a download larger than the free disk space is refused before it is written', async (t) => {
    const dir = manifestsDir(t, { url: srv.url, sha256: archive.sha256 });
    const dataDir = scratch(t);
    srv.claimLength = 2 ** 50; // a petabyte: more than this disk has
    await t.rejects(fetchModel(NAME, dataDir, undefined, { manifestsDir: dir, ca: tls.cert, env: noProxyEnv, retries: 0 }), { code: 'EARSHOT_ERR_MODEL_DISK_SPACE', message: /needs about \d+ MB free/ });
  });

  await t.test('models import verifies the same way', async (t) => {
    const dataDir = scratch(t);
    await t.rejects(importModel(archive.path, dataDir, undefined, { manifestsDir: manifestsDir(t, {}) }), { code: 'EARSHOT_ERR_MODEL_UNPINNED' });
    await t.rejects(importModel(archive.path, dataDir, undefined, { manifestsDir: manifestsDir(t, {}), sha256: '0'.repeat(64) }), { code: 'EARSHOT_ERR_MODEL_CHECKSUM', message: /given with --sha256/ });
    const st = await importModel(archive.path, dataDir, undefined, { manifestsDir: manifestsDir(t, {}), sha256: archive.sha256 });
    t.match(st, { ok: true });
    t.match(record(dataDir), { sha256Source: 'operator', source: `${NAME}.tar.bz2` });
    const pinned = await importModel(archive.path, scratch(t), undefined, { manifestsDir: manifestsDir(t, { sha256: archive.sha256, archive: 'other-name.tar.bz2' }) });
    t.match(pinned, { ok: true }, 'found by its pinned sha256 when the file name differs');
  });
});
