// Model management for the CLI: list, fetch (download + verify + unpack), import (local archive).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { download, installArchive, type OnProgress, sha256File } from './install.js';
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

/** Downloads the manifest's upstream archive, verifies its sha256, unpacks it into <dataDir>/models/<name>. */
export async function fetchModel(name: string, dataDir: string, onProgress?: OnProgress, opts: ModelOptions = {}): Promise<ModelStatus> {
  const m = findManifest(name, opts.manifestsDir ?? defaultManifestsDir());
  if (!m.sha256) {
    throw new ModelError(
      'EARSHOT_ERR_MODEL_UNPINNED',
      `model "${name}" has no pinned sha256 in its manifest, so a download cannot be verified: download ${m.url} yourself, check it, and run \`earshot models import <file>\` (or pin the sha256 in models/${name}.json)`,
    );
  }
  const dir = modelsDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const part = join(dir, `.download-${name}-${process.pid}.part`);
  try {
    const got = await download(m.url, part, onProgress);
    if (got !== m.sha256) {
      throw new ModelError('EARSHOT_ERR_MODEL_CHECKSUM', `download of ${m.url} has sha256 ${got}, expected ${m.sha256}: corrupted or replaced upstream; nothing was installed`);
    }
    await installArchive(part, got, m, dir, onProgress);
  } finally {
    rmSync(part, { force: true });
  }
  return status(m, dataDir);
}

/**
 * Installs a local archive (an operator's download). The manifest is the one named in
 * opts.name, else the one whose archive file name or sha256 matches the file.
 */
export async function importModel(file: string, dataDir: string, onProgress?: OnProgress, opts: ModelOptions & { name?: string } = {}): Promise<ModelStatus> {
  if (!existsSync(file)) throw new ModelError('EARSHOT_ERR_MODEL_IMPORT', `${file} does not exist`);
  const manifests = loadManifests(opts.manifestsDir ?? defaultManifestsDir());
  const sha = await sha256File(file, onProgress);
  const m = opts.name
    ? manifests.find((x) => x.name === opts.name)
    : (manifests.find((x) => x.sha256 && x.sha256 === sha) ?? manifests.find((x) => x.archive === basename(file)));
  if (!m) {
    throw new ModelError('EARSHOT_ERR_MODEL_IMPORT', `${file} matches no model manifest (by name, archive file name or sha256); known: ${manifests.map((x) => x.name).join(', ') || '(none)'}`);
  }
  if (m.sha256 && m.sha256 !== sha) {
    throw new ModelError('EARSHOT_ERR_MODEL_CHECKSUM', `${file} has sha256 ${sha}, but model "${m.name}" expects ${m.sha256}: wrong or corrupted archive; nothing was installed`);
  }
  await installArchive(file, sha, m, modelsDir(dataDir), onProgress);
  return status(m, dataDir);
}
