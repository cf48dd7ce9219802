// The recordings' key ring: AES-256 keys in one JSON file outside the database (mode 0600).
// The active key seals new recordings; older keys stay so existing recordings remain readable.
// Key bytes never leave this module except to seal/open; nothing here logs them.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EarshotError } from '../errors.js';

interface RingFile {
  active: string;
  keys: Record<string, string>; // id -> base64 key
}

export interface KeyRing {
  readonly path: string;
  readonly activeId: string;
  /** The active key (seals new recordings). */
  active(): { id: string; key: Buffer };
  /** The key of `id`, or an EARSHOT_ERR_RECORDING_KEY error. */
  key(id: string): Buffer;
  ids(): string[];
}

const newId = () => `k${new Date().toISOString().slice(0, 10).replace(/-/gu, '')}-${randomBytes(3).toString('hex')}`;

function write(path: string, ring: RingFile): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(ring, null, 1)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    throw new EarshotError('EARSHOT_ERR_RECORDING_IO', 'key ring not writable', { cause: err });
  }
}

function read(path: string): RingFile {
  let ring: RingFile;
  try {
    ring = JSON.parse(readFileSync(path, 'utf8')) as RingFile;
  } catch (err) {
    throw new EarshotError('EARSHOT_ERR_RECORDING_KEY', 'key ring unreadable', { cause: err });
  }
  const ok = ring && typeof ring.active === 'string' && ring.keys && typeof ring.keys === 'object' &&
    Object.values(ring.keys).every((k) => typeof k === 'string' && Buffer.from(k, 'base64').length === 32) && ring.keys[ring.active];
  if (!ok) throw new EarshotError('EARSHOT_ERR_RECORDING_KEY', 'key ring malformed');
  return ring;
}

function ringOf(path: string, file: RingFile): KeyRing {
  return {
    path,
    activeId: file.active,
    active: () => ({ id: file.active, key: Buffer.from(file.keys[file.active], 'base64') }),
    key(id) {
      const k = Object.hasOwn(file.keys, id) ? file.keys[id] : undefined;
      if (!k) throw new EarshotError('EARSHOT_ERR_RECORDING_KEY', 'recording key not in the key ring');
      return Buffer.from(k, 'base64');
    },
    ids: () => Object.keys(file.keys),
  };
}

/** Opens the ring at `path`; `create` makes it (one fresh key) when it does not exist yet. */
export function openKeyRing(path: string, opts: { create?: boolean } = {}): KeyRing {
  if (!existsSync(path)) {
    if (!opts.create) throw new EarshotError('EARSHOT_ERR_RECORDING_KEY', 'no key ring');
    const id = newId();
    write(path, { active: id, keys: { [id]: randomBytes(32).toString('base64') } });
  }
  return ringOf(path, read(path));
}

/** Adds a new key and makes it active; old keys are kept for reading. Returns the new key's id. */
export function rotateKey(path: string): string {
  const file = existsSync(path) ? read(path) : { active: '', keys: {} };
  let id = newId();
  while (file.keys[id]) id = newId();
  file.keys[id] = randomBytes(32).toString('base64');
  file.active = id;
  write(path, file);
  return id;
}
