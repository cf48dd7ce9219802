// Download, checksum and unpack of model archives. Everything lands in a temporary directory
// next to the destination and is renamed into place only after it validates, so a failed or
// interrupted install never leaves a half-model where the stage would load it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ModelManifest, ModelError, validateModelDir } from './manifest.js';

export interface ModelProgress {
  phase: 'download' | 'checksum' | 'unpack' | 'validate' | 'done';
  bytes?: number;
  total?: number;
}
export type OnProgress = (p: ModelProgress) => void;

const TAR_TIMEOUT_MS = 10 * 60 * 1000;
const IDLE_TIMEOUT_MS = 60 * 1000;
export const INSTALL_RECORD = '.earshot-model.json';

function hashing(onBytes: (n: number) => void): { t: Transform; digest: () => string } {
  const h = createHash('sha256');
  let n = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      onBytes(n);
      cb(null, chunk);
    },
  });
  return { t, digest: () => h.digest('hex') };
}

export async function sha256File(path: string, onProgress?: OnProgress): Promise<string> {
  const total = statSync(path).size;
  const { t, digest } = hashing((bytes) => onProgress?.({ phase: 'checksum', bytes, total }));
  await pipeline(createReadStream(path), t, async (src: AsyncIterable<Buffer>) => {
    for await (const chunk of src) void chunk;
  });
  return digest();
}

/** Downloads `url` to `dest`, returning its sha256. Aborts when no data arrives for a minute. */
export async function download(url: string, dest: string, onProgress?: OnProgress): Promise<string> {
  const ac = new AbortController();
  let idle = setTimeout(() => ac.abort(), IDLE_TIMEOUT_MS);
  try {
    const res = await fetch(url, { signal: ac.signal, redirect: 'follow' });
    if (!res.ok || !res.body) throw new ModelError('EARSHOT_ERR_MODEL_DOWNLOAD', `download of ${url} failed: HTTP ${res.status}`);
    const total = Number(res.headers.get('content-length')) || undefined;
    const { t, digest } = hashing((bytes) => {
      clearTimeout(idle);
      idle = setTimeout(() => ac.abort(), IDLE_TIMEOUT_MS);
      onProgress?.({ phase: 'download', bytes, total });
    });
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), t, createWriteStream(dest));
    return digest();
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError('EARSHOT_ERR_MODEL_DOWNLOAD', `download of ${url} failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(idle);
  }
}

function untar(archive: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // GNU tar detects the compression, strips leading "/" and refuses ".." members by itself.
    const child = spawn('tar', ['-xf', archive, '-C', into, '--no-same-owner', '--no-same-permissions'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TAR_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ModelError('EARSHOT_ERR_MODEL_UNPACK', `cannot run tar: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new ModelError('EARSHOT_ERR_MODEL_UNPACK', `${archive} is not a readable tar archive: ${err.trim().split('\n')[0] ?? `tar exit ${code}`}`));
    });
  });
}

/** Unpacks a verified archive into `<modelsDir>/<name>`, replacing an older install only on success. */
export async function installArchive(archive: string, sha256: string, manifest: ModelManifest, modelsDir: string, onProgress?: OnProgress): Promise<string> {
  mkdirSync(modelsDir, { recursive: true });
  const tmp = await mkdtemp(join(modelsDir, `.unpack-${manifest.name}-`));
  try {
    onProgress?.({ phase: 'unpack' });
    await untar(archive, tmp);
    // Upstream archives hold one top-level directory named after the release.
    const entries = readdirSync(tmp);
    const root = entries.length === 1 && statSync(join(tmp, entries[0])).isDirectory() ? join(tmp, entries[0]) : tmp;
    onProgress?.({ phase: 'validate' });
    validateModelDir(root, manifest);
    writeFileSync(join(root, INSTALL_RECORD), JSON.stringify({ name: manifest.name, archiveSha256: sha256, installedAt: new Date().toISOString() }, null, 2));
    const dest = join(modelsDir, manifest.name);
    const old = `${dest}.old-${Date.now()}`;
    if (existsSync(dest)) renameSync(dest, old);
    renameSync(root, dest);
    rmSync(old, { recursive: true, force: true });
    onProgress?.({ phase: 'done' });
    return dest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
