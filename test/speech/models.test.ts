// Model manifests, validation, fetch and import. No real model can be downloaded here: fetch runs
// against a local HTTP server serving a small tar.bz2 made in the test (HTTPS, resume, proxy and
// digests in models-fetch.test.ts). Its ONNX files are fakes
// (right first byte, garbage after), enough for checksum, unpack and validation logic; loading
// one in sherpa-onnx is exactly what the fallback test needs to fail.
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import pino from 'pino';
import t, { type Test } from 'tap';
import { PipelineBus } from '../../src/call/events.js';
import { validateConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createSpeech, fetchModel, importModel, listModels, validateModelDir } from '../../src/speech/index.js';
import { loadManifests, parseManifest, type ModelManifest } from '../../src/speech/models/manifest.js';
import { run, scratch } from './helpers.js';

const NAME = 'tiny-test-model';
const FILES = { encoder: 'encoder.onnx', decoder: 'decoder.onnx', joiner: 'joiner.onnx', tokens: 'tokens.txt' };

function manifest(over: Partial<ModelManifest> = {}): ModelManifest {
  return {
    name: NAME,
    language: 'en',
    type: 'transducer',
    files: { ...FILES },
    url: 'http://127.0.0.1:1/none.tar.bz2',
    archive: `${NAME}.tar.bz2`,
    sha256: '',
    licence: 'Apache-2.0',
    upstream: 'https://example.invalid/model',
    ...over,
  };
}

function fakeModelDir(dir: string, omit?: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [role, f] of Object.entries(FILES)) {
    if (role === omit) continue;
    writeFileSync(join(dir, f), role === 'tokens' ? '<blk> 0\n▁HELLO 1\n' : Buffer.from([0x08, 0x07, 0x12, 0x00, 0xff, 0xfe]));
  }
}

/** A tar.bz2 holding one top-level directory, like upstream releases. */
async function fakeArchive(t: Test, omit?: string): Promise<{ path: string; sha256: string }> {
  const work = scratch(t);
  fakeModelDir(join(work, `sherpa-onnx-${NAME}`), omit);
  const path = join(work, `${NAME}.tar.bz2`);
  await run(t, 'tar', ['-cjf', path, '-C', work, `sherpa-onnx-${NAME}`]);
  return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}

function manifestsDir(t: Test, m: ModelManifest): string {
  const dir = join(scratch(t), 'manifests');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${m.name}.json`), JSON.stringify(m));
  return dir;
}

async function serve(t: Test, files: Record<string, Buffer>): Promise<string> {
  const server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (!body) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('the repo manifests parse; bad manifests are refused with the field named', async (t) => {
  const repo = loadManifests();
  t.ok(repo.length >= 3, 'ships manifests');
  for (const m of repo) t.ok(m.url.startsWith('https://github.com/k2-fsa/sherpa-onnx/releases/'), `${m.name} upstream release`);
  t.throws(() => parseManifest({ ...manifest(), name: 'Bad Name' }, 'x.json'), { code: 'EARSHOT_ERR_MODEL_MANIFEST', message: /x.json: "name"/ });
  t.throws(() => parseManifest({ ...manifest(), type: 'whisper' }, 'x.json'), { code: 'EARSHOT_ERR_MODEL_MANIFEST', message: /"type"/ });
  t.throws(() => parseManifest({ ...manifest(), files: { encoder: 'e.onnx' } }, 'x.json'), { code: 'EARSHOT_ERR_MODEL_MANIFEST', message: /files.decoder/ });
  t.throws(() => parseManifest({ ...manifest(), files: { ...FILES, tokens: '../../etc/passwd' } }, 'x.json'), { code: 'EARSHOT_ERR_MODEL_MANIFEST' });
  t.throws(() => parseManifest({ ...manifest(), sha256: 'abc' }, 'x.json'), { code: 'EARSHOT_ERR_MODEL_MANIFEST', message: /sha256/ });
});

t.test('validateModelDir names the path and the fix', async (t) => {
  const root = scratch(t);
  const m = manifest();
  t.throws(() => validateModelDir(join(root, 'absent'), m), { code: 'EARSHOT_ERR_MODEL_MISSING', message: /absent does not exist; run `earshot models fetch tiny-test-model`/ });
  fakeModelDir(join(root, 'ok'));
  t.doesNotThrow(() => validateModelDir(join(root, 'ok'), m));
  fakeModelDir(join(root, 'nojoiner'), 'joiner');
  t.throws(() => validateModelDir(join(root, 'nojoiner'), m), { code: 'EARSHOT_ERR_MODEL_MISSING', message: /joiner file .*nojoiner\/joiner.onnx is missing/ });
  fakeModelDir(join(root, 'html'));
  writeFileSync(join(root, 'html', 'encoder.onnx'), '<html>rate limited</html>');
  t.throws(() => validateModelDir(join(root, 'html'), m), { code: 'EARSHOT_ERR_MODEL_CORRUPT', message: /encoder.onnx is not an ONNX file/ });
  fakeModelDir(join(root, 'empty'));
  writeFileSync(join(root, 'empty', 'decoder.onnx'), '');
  t.throws(() => validateModelDir(join(root, 'empty'), m), { code: 'EARSHOT_ERR_MODEL_CORRUPT', message: /is empty/ });
  fakeModelDir(join(root, 'tokens'));
  writeFileSync(join(root, 'tokens', 'tokens.txt'), 'just words here\n');
  t.throws(() => validateModelDir(join(root, 'tokens'), m), { code: 'EARSHOT_ERR_MODEL_CORRUPT', message: /token table/ });
  fakeModelDir(join(root, 'link'), 'encoder');
  symlinkSync('/etc/hostname', join(root, 'link', 'encoder.onnx'));
  t.throws(() => validateModelDir(join(root, 'link'), m), { code: 'EARSHOT_ERR_MODEL_CORRUPT', message: /not a regular file/ });
});

t.test('fetchModel downloads, verifies and unpacks; refuses bad checksums and unpinned models', async (t) => {
  const good = await fakeArchive(t);
  const incomplete = await fakeArchive(t, 'joiner');
  const base = await serve(t, {
    '/good.tar.bz2': readFileSync(good.path),
    '/incomplete.tar.bz2': readFileSync(incomplete.path),
    '/junk.tar.bz2': Buffer.from('this is not a tar archive'),
  });
  const dataDir = scratch(t);
  const dir = manifestsDir(t, manifest({ url: `${base}/good.tar.bz2`, sha256: good.sha256 }));
  const phases = new Set<string>();
  const st = await fetchModel(NAME, dataDir, (p) => phases.add(p.phase), { manifestsDir: dir });
  t.match(st, { name: NAME, installed: true, ok: true });
  t.ok(existsSync(join(dataDir, 'models', NAME, 'encoder.onnx')), 'unpacked under <dataDir>/models/<name>');
  t.same([...phases], ['download', 'checksum', 'unpack', 'validate', 'done']);
  t.match(listModels(dataDir, { manifestsDir: dir }), [{ name: NAME, ok: true }]);

  const wrong = manifestsDir(t, manifest({ url: `${base}/good.tar.bz2`, sha256: 'f'.repeat(64) }));
  const other = scratch(t);
  await t.rejects(fetchModel(NAME, other, undefined, { manifestsDir: wrong }), { code: 'EARSHOT_ERR_MODEL_CHECKSUM' });
  t.notOk(existsSync(join(other, 'models', NAME)), 'nothing installed on checksum mismatch');
  await t.rejects(fetchModel(NAME, other, undefined, { manifestsDir: manifestsDir(t, manifest()) }), { code: 'EARSHOT_ERR_MODEL_UNPINNED' });
  await t.rejects(fetchModel(NAME, other, undefined, { manifestsDir: manifestsDir(t, manifest({ url: `${base}/missing.tar.bz2`, sha256: good.sha256 })) }), {
    code: 'EARSHOT_ERR_MODEL_DOWNLOAD',
    message: /HTTP 404/,
  });
  const junkSha = createHash('sha256').update('this is not a tar archive').digest('hex');
  await t.rejects(fetchModel(NAME, other, undefined, { manifestsDir: manifestsDir(t, manifest({ url: `${base}/junk.tar.bz2`, sha256: junkSha })) }), { code: 'EARSHOT_ERR_MODEL_UNPACK' });
  await t.rejects(fetchModel(NAME, other, undefined, { manifestsDir: manifestsDir(t, manifest({ url: `${base}/incomplete.tar.bz2`, sha256: incomplete.sha256 })) }), {
    code: 'EARSHOT_ERR_MODEL_MISSING',
  });
  t.notOk(existsSync(join(other, 'models', NAME)), 'an incomplete archive is not installed');
  await t.rejects(fetchModel('nope', other, undefined, { manifestsDir: dir }), { code: 'EARSHOT_ERR_MODEL_UNKNOWN' });
});

t.test('importModel installs a local archive found by file name; a pinned checksum must match', async (t) => {
  const good = await fakeArchive(t);
  const dataDir = scratch(t);
  const st = await importModel(good.path, dataDir, undefined, { manifestsDir: manifestsDir(t, manifest({ sha256: good.sha256 })) });
  t.match(st, { name: NAME, ok: true });
  const record = JSON.parse(readFileSync(join(dataDir, 'models', NAME, '.earshot-model.json'), 'utf8')) as { archiveSha256: string };
  t.equal(record.archiveSha256, good.sha256, 'install record keeps the archive hash');
  await t.rejects(importModel(good.path, scratch(t), undefined, { manifestsDir: manifestsDir(t, manifest({ sha256: '0'.repeat(64) })) }), { code: 'EARSHOT_ERR_MODEL_CHECKSUM' });
  await t.rejects(importModel(join(dataDir, 'none.tar.bz2'), dataDir), { code: 'EARSHOT_ERR_MODEL_IMPORT' });
  await t.rejects(importModel(good.path, dataDir, undefined, { manifestsDir: manifestsDir(t, manifest({ name: 'other-name', archive: 'other.tar.bz2' })) }), {
    code: 'EARSHOT_ERR_MODEL_IMPORT',
    message: /matches no model manifest/,
  });
});

async function stageWith(t: Test, dataDir: string, model: string, dir: string) {
  const config = validateConfig({ dataDir, speech: { engine: 'sherpa', workers: 1, sherpa: { model } } });
  const stage = await createSpeech({ config, log: pino({ level: 'silent' }), bus: new PipelineBus(), metrics: createMetrics({ defaults: false }) }, { manifestsDir: dir });
  t.teardown(() => stage.close());
  return stage;
}

t.test('a missing or corrupt sherpa model falls back to pocketsphinx and ready() says why', async (t) => {
  const dir = manifestsDir(t, manifest());
  const missing = await stageWith(t, scratch(t), NAME, dir);
  t.match(missing.ready(), { ok: true, engine: 'pocketsphinx', detail: /sherpa model unusable .*is not installed.*fell back to pocketsphinx/ });
  // Passes the file checks but is garbage inside: sherpa-onnx aborts on it, in the probe only.
  const dataDir = scratch(t);
  fakeModelDir(join(dataDir, 'models', NAME));
  const corrupt = await stageWith(t, dataDir, NAME, dir);
  t.match(corrupt.ready(), { ok: true, engine: 'pocketsphinx', detail: /model failed to load/ }, corrupt.ready().detail);
  const unset = await stageWith(t, scratch(t), '', dir);
  t.match(unset.ready().detail, /speech.sherpa.model is empty/);
});

t.test('a real sherpa model, when one is installed (EARSHOT_SHERPA_MODEL=name, EARSHOT_DATA_DIR)', { skip: !process.env.EARSHOT_SHERPA_MODEL && 'EARSHOT_SHERPA_MODEL not set: no model can be downloaded here' }, async (t) => {
  const stage = await stageWith(t, process.env.EARSHOT_DATA_DIR ?? './data', process.env.EARSHOT_SHERPA_MODEL ?? '', join(process.cwd(), 'models'));
  t.match(stage.ready(), { ok: true, engine: 'sherpa' });
});
