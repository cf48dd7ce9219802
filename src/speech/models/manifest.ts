// Model manifests (models/<name>.json in the repo) and model-directory validation. A manifest
// names an upstream sherpa-onnx release archive, its checksum and licence, and the files inside.
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EarshotError, type ErrorCode } from '../../errors.js';

export type ModelType = 'transducer' | 'paraformer' | 'zipformer2Ctc';

export interface ModelManifest {
  name: string;
  language: string;
  type: ModelType;
  /** Role → file name inside the unpacked directory (encoder, decoder, joiner, model, tokens, bpeVocab). */
  files: Record<string, string>;
  /** Upstream release archive (URL and file name) and its sha256 ('' = not pinned yet). */
  url: string;
  archive: string;
  sha256: string;
  licence: string;
  upstream: string;
  /** 'bpe' | 'cjkchar' | 'cjkchar+bpe': needed for hot-words. */
  modelingUnit?: string;
  description?: string;
}

export class ModelError extends EarshotError {
  constructor(code: ErrorCode, message: string) {
    super(code, undefined, { message });
    this.name = 'ModelError';
  }
}

const REQUIRED: Record<ModelType, string[]> = {
  transducer: ['encoder', 'decoder', 'joiner', 'tokens'],
  paraformer: ['encoder', 'decoder', 'tokens'],
  zipformer2Ctc: ['model', 'tokens'],
};
const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** The repo's models/ folder, found from src/ and dist/src/ alike. */
export function defaultManifestsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return join(dir, 'models');
    dir = dirname(dir);
  }
  return resolve('models');
}

export function parseManifest(raw: unknown, source: string): ModelManifest {
  const bad = (why: string) => new ModelError('EARSHOT_ERR_MODEL_MANIFEST', `${source}: ${why}`);
  if (!raw || typeof raw !== 'object') throw bad('not a JSON object');
  const m = raw as Record<string, unknown>;
  for (const k of ['name', 'language', 'type', 'url', 'archive', 'sha256', 'licence', 'upstream']) {
    if (typeof m[k] !== 'string') throw bad(`"${k}" must be a string`);
  }
  if (!NAME.test(m.name as string)) throw bad('"name" must be lower-case letters, digits, dot, dash or underscore');
  if (!Object.hasOwn(REQUIRED, m.type as string)) throw bad(`"type" must be one of ${Object.keys(REQUIRED).join(', ')}`);
  if (m.sha256 !== '' && !/^[0-9a-f]{64}$/.test(m.sha256 as string)) throw bad('"sha256" must be 64 lower-case hex digits or ""');
  if (!/^https?:\/\//.test(m.url as string)) throw bad('"url" must be http(s)');
  if (!m.files || typeof m.files !== 'object') throw bad('"files" must be an object');
  const files = m.files as Record<string, unknown>;
  for (const role of REQUIRED[m.type as ModelType]) {
    if (typeof files[role] !== 'string') throw bad(`"files.${role}" is required for ${m.type as string} models`);
  }
  for (const [role, f] of Object.entries(files)) {
    if (typeof f !== 'string' || f.includes('..') || f.startsWith('/')) throw bad(`"files.${role}" must be a relative path inside the model`);
  }
  return m as unknown as ModelManifest;
}

export function loadManifests(dir = defaultManifestsDir()): ModelManifest[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseManifest(JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown, join(dir, f)));
}

export function findManifest(name: string, dir = defaultManifestsDir()): ModelManifest {
  const m = loadManifests(dir).find((x) => x.name === name);
  if (!m) {
    const known = loadManifests(dir).map((x) => x.name);
    throw new ModelError('EARSHOT_ERR_MODEL_UNKNOWN', `no manifest for model "${name}" in ${dir}; known: ${known.join(', ') || '(none)'}`);
  }
  return m;
}

function firstByte(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    return readSync(fd, b, 0, 1, 0) === 1 ? b[0] : -1;
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks an unpacked model directory against its manifest without loading it: every file present,
 * a regular file (no symlink out of the directory), non-empty, ONNX files starting like an ONNX
 * protobuf (a truncated download or an HTML error page does not), tokens a "symbol id" table.
 * Throws ModelError naming the path and the fix.
 */
export function validateModelDir(dir: string, manifest: ModelManifest): void {
  const fix = `run \`earshot models fetch ${manifest.name}\` or \`earshot models import <archive>\``;
  if (!existsSync(dir)) throw new ModelError('EARSHOT_ERR_MODEL_MISSING', `model "${manifest.name}" is not installed: ${dir} does not exist; ${fix}`);
  for (const [role, rel] of Object.entries(manifest.files)) {
    const path = join(dir, rel);
    if (!existsSync(path)) throw new ModelError('EARSHOT_ERR_MODEL_MISSING', `model "${manifest.name}": ${role} file ${path} is missing; ${fix}`);
    const st = lstatSync(path);
    if (!st.isFile()) throw new ModelError('EARSHOT_ERR_MODEL_CORRUPT', `model "${manifest.name}": ${path} is not a regular file; ${fix}`);
    if (st.size === 0) throw new ModelError('EARSHOT_ERR_MODEL_CORRUPT', `model "${manifest.name}": ${path} is empty; ${fix}`);
    // ONNX files are protobuf ModelProto: field 1 (ir_version, varint) comes first, byte 0x08.
    if (rel.endsWith('.onnx') && firstByte(path) !== 0x08) {
      throw new ModelError('EARSHOT_ERR_MODEL_CORRUPT', `model "${manifest.name}": ${path} is not an ONNX file (truncated or wrong download?); ${fix}`);
    }
    if (role === 'tokens') {
      const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
      if (!lines.length || !lines.every((l) => /^\S+\s+\d+$/.test(l) || /^\s\d+$/.test(l))) {
        throw new ModelError('EARSHOT_ERR_MODEL_CORRUPT', `model "${manifest.name}": ${path} is not a "symbol id" token table; ${fix}`);
      }
    }
  }
}
