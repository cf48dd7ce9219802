// Model management for the CLI: list, fetch (download + verify + unpack), import (local archive).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { download, type DownloadOptions, installArchive, type OnProgress, sha256File } from './install.js';
import { defaultManifestsDir, findManifest, loadManifests, type ModelManifest, ModelError, validateModelDir } from './manifest.js';

export { validateModelDir, ModelError, type ModelManifest };
export type { ModelProgress, OnProgress } from './install.js';

export interface ModelStatus {
  name: string;
  language: string;
  type: ModelManifest['type'];
  licence: string;
  upstream: string;
  dir: string;
  installed: boolean;
  /** Installed and valid. */
  ok: boolean;
  problem?: string;
}

export interface ModelOptions {
  /** Folder of manifest JSON files; default the repo's models/. */
  manifestsDir?: string;
}

export function modelsDir(dataDir: string): string {
  return join(dataDir, 'models');
}

function status(m: ModelManifest, dataDir: string): ModelStatus {
  const dir = join(modelsDir(dataDir), m.name);
  const base = { name: m.name, language: m.language, type: m.type, licence: m.licence, upstream: m.upstream, dir };
  if (!existsSync(dir)) return { ...base, installed: false, ok: false };
  try {
    validateModelDir(dir, m);
    return { ...base, installed: true, ok: true };
  } catch (err) {
    return { ...base, installed: true, ok: false, problem: (err as Error).message };
  }
}

export function listModels(dataDir: string, opts: ModelOptions = {}): ModelStatus[] {
  return loadManifests(opts.manifestsDir ?? defaultManifestsDir()).map((m) => status(m, dataDir));
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The digest an archive must have: the manifest's pin, else the operator's --sha256 (recorded in
 * the install). Both given and different: refused, the manifest is not silently overridden.
 */
function expectedDigest(m: ModelManifest, operator: string | undefined, how: string): { sha256: string; source: 'manifest' | 'operator' } {
  const op = operator?.trim().toLowerCase();
  if (op !== undefined && !SHA256.test(op)) throw new ModelError('EARSHOT_ERR_MODEL_DIGEST_ARG', `--sha256 "${operator}" is not 64 hex digits`);
  if (m.sha256 && op && op !== m.sha256) {
    throw new ModelError('EARSHOT_ERR_MODEL_DIGEST_ARG', `--sha256 ${op} differs from the sha256 pinned in the manifest of "${m.name}" (${m.sha256}); nothing was installed`);
  }
  if (m.sha256) return { sha256: m.sha256, source: 'manifest' };
  if (op) return { sha256: op, source: 'operator' };
  throw new ModelError(
    'EARSHOT_ERR_MODEL_UNPINNED',
    `model "${m.name}" has no sha256 pinned in its manifest, so ${how} cannot be verified: take the archive's sha256 from the release page (${m.upstream}) and pass it with --sha256 <hex>`,
  );
}

/** One fetch per model at a time: a second one would append to the same partial file. */
function lock(path: string): () => void {
  for (let i = 0; i < 2; i++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8'));
      let alive = false;
      try {
        alive = pid > 0 && process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (alive) throw new ModelError('EARSHOT_ERR_MODEL_DOWNLOAD', `another download of this model is running (pid ${pid}); wait for it or stop it`);
      rmSync(path, { force: true }); // left by a process that died: take over
    }
  }
  throw new ModelError('EARSHOT_ERR_MODEL_DOWNLOAD', `cannot take the download lock ${path}`);
}

export interface FetchOptions extends ModelOptions, Omit<DownloadOptions, 'onProgress'> {
  /** The archive digest when the manifest has none (`--sha256`); must equal the pin when it has one. */
  sha256?: string;
}

/**
 * Downloads the manifest's upstream archive (resuming an earlier partial download), verifies its
 * sha256, unpacks it into <dataDir>/models/<name> atomically. A wrong digest deletes the download.
 */
export async function fetchModel(name: string, dataDir: string, onProgress?: OnProgress, opts: FetchOptions = {}): Promise<ModelStatus & { resumedFrom: number }> {
  const m = findManifest(name, opts.manifestsDir ?? defaultManifestsDir());
  const want = expectedDigest(m, opts.sha256, 'a download');
  const dir = modelsDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const part = join(dir, `.download-${name}.part`);
  const unlock = lock(`${part}.lock`);
  try {
    const { resumedFrom } = await download(m.url, part, { ...opts, onProgress });
    const got = await sha256File(part, onProgress);
    if (got !== want.sha256) {
      rmSync(part, { force: true });
      rmSync(`${part}.json`, { force: true });
      throw new ModelError(
        'EARSHOT_ERR_MODEL_CHECKSUM',
        `download of ${m.url} has sha256 ${got}, expected ${want.sha256} (${want.source === 'manifest' ? 'pinned in the manifest' : 'given with --sha256'}): corrupted or replaced upstream; deleted, nothing was installed`,
      );
    }
    await installArchive(part, got, m, dir, onProgress, { sha256Source: want.source, source: m.url });
    rmSync(part, { force: true });
    rmSync(`${part}.json`, { force: true });
    return { ...status(m, dataDir), resumedFrom };
  } finally {
    unlock();
  }
}

/**
 * Installs a local archive (an operator's download). The manifest is the one named in
 * opts.name, else the one whose archive file name or sha256 matches the file. Verified like a
 * fetch: against the manifest's pin, else against --sha256.
 */
export async function importModel(
  file: string,
  dataDir: string,
  onProgress?: OnProgress,
  opts: ModelOptions & { name?: string; sha256?: string } = {},
): Promise<ModelStatus> {
  if (!existsSync(file)) throw new ModelError('EARSHOT_ERR_MODEL_IMPORT', `${file} does not exist`);
  const manifests = loadManifests(opts.manifestsDir ?? defaultManifestsDir());
  const m = opts.name
    ? manifests.find((x) => x.name === opts.name)
    : (manifests.find((x) => x.archive === basename(file)) ?? undefined);
  const sha = await sha256File(file, onProgress);
  const found = m ?? manifests.find((x) => x.sha256 && x.sha256 === sha);
  if (!found) {
    throw new ModelError('EARSHOT_ERR_MODEL_IMPORT', `${file} matches no model manifest (by name, archive file name or sha256); known: ${manifests.map((x) => x.name).join(', ') || '(none)'}`);
  }
  const want = expectedDigest(found, opts.sha256, `${file}`);
  if (want.sha256 !== sha) {
    throw new ModelError(
      'EARSHOT_ERR_MODEL_CHECKSUM',
      `${file} has sha256 ${sha}, but model "${found.name}" expects ${want.sha256} (${want.source === 'manifest' ? 'pinned in the manifest' : 'given with --sha256'}): wrong or corrupted archive; nothing was installed`,
    );
  }
  await installArchive(file, sha, found, modelsDir(dataDir), onProgress, { sha256Source: want.source, source: basename(file) });
  return status(found, dataDir);
}
