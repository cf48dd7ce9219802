// The sealed recording container: a plaintext header, then chunks each sealed on its own with
// AES-256-GCM, so a seek decrypts only the chunks it needs.
//
//   header: "ESRC" | version u8 | keyId length u8 | keyId | nonce base (8) | key check (8) | sample rate u32 |
//           frame samples u16 | frames per chunk u16
//   chunk:  sealed length u32 | ciphertext | tag (16)
//   nonce = nonce base | chunk index u32; AAD = header | chunk index u32 | final flag u8
//   plaintext of a chunk: frame count u16, then per frame: length u16 | Opus packet
//
// Every chunk but the last holds exactly `frames per chunk` frames; the last carries the final
// flag, so a file cut short (or a chunk dropped or reordered) fails authentication. The key check
// (HMAC of a constant under the key) tells "wrong key" from "altered file" without decrypting.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { EarshotError } from '../errors.js';

const MAGIC = Buffer.from('ESRC');
const VERSION = 1;
const TAG = 16;
/** Largest sealed chunk a reader accepts: frames per chunk (<= 65535) of small Opus packets fit far below. */
const MAX_CHUNK = 16 * 1024 * 1024;

export interface ContainerMeta {
  sampleRate: number;
  frameSamples: number;
  framesPerChunk: number;
}

export interface Header extends ContainerMeta {
  keyId: string;
  nonceBase: Buffer;
  check: Buffer;
  bytes: Buffer;
}

const keyCheck = (key: Buffer) => createHmac('sha256', key).update('earshot-recording-key-check').digest().subarray(0, 8);

export function encodeHeader(keyId: string, key: Buffer, nonceBase: Buffer, m: ContainerMeta): Buffer {
  const id = Buffer.from(keyId, 'utf8');
  if (id.length === 0 || id.length > 255) throw new EarshotError('EARSHOT_ERR_RECORDING_KEY', 'bad key id');
  const tail = Buffer.alloc(8);
  tail.writeUInt32BE(m.sampleRate, 0);
  tail.writeUInt16BE(m.frameSamples, 4);
  tail.writeUInt16BE(m.framesPerChunk, 6);
  return Buffer.concat([MAGIC, Buffer.from([VERSION, id.length]), id, nonceBase, keyCheck(key), tail]);
}

function aad(header: Buffer, index: number, final: boolean): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(index, 0);
  b[4] = final ? 1 : 0;
  return Buffer.concat([header, b]);
}

function nonce(base: Buffer, index: number): Buffer {
  const n = Buffer.alloc(12);
  base.copy(n, 0, 0, 8);
  n.writeUInt32BE(index, 8);
  return n;
}

export function sealChunk(key: Buffer, header: Buffer, nonceBase: Buffer, index: number, final: boolean, plain: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', key, nonce(nonceBase, index));
  c.setAAD(aad(header, index, final));
  const body = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}

function openChunk(key: Buffer, h: Header, index: number, final: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG) throw new EarshotError('EARSHOT_ERR_RECORDING_CORRUPT', 'chunk too short');
  const d = createDecipheriv('aes-256-gcm', key, nonce(h.nonceBase, index));
  d.setAAD(aad(h.bytes, index, final));
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    throw new EarshotError('EARSHOT_ERR_RECORDING_CORRUPT', `chunk ${index} fails authentication`);
  }
}

export function packFrames(frames: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(2)];
  parts[0].writeUInt16BE(frames.length, 0);
  for (const f of frames) {
    const l = Buffer.alloc(2);
    l.writeUInt16BE(f.length, 0);
    parts.push(l, f);
  }
  return Buffer.concat(parts);
}

function unpackFrames(plain: Buffer): Buffer[] {
  const bad = () => new EarshotError('EARSHOT_ERR_RECORDING_CORRUPT', 'chunk framing');
  if (plain.length < 2) throw bad();
  const n = plain.readUInt16BE(0);
  const out: Buffer[] = [];
  let off = 2;
  for (let i = 0; i < n; i++) {
    if (off + 2 > plain.length) throw bad();
    const l = plain.readUInt16BE(off);
    off += 2;
    if (off + l > plain.length) throw bad();
    out.push(plain.subarray(off, off + l));
    off += l;
  }
  if (off !== plain.length) throw bad();
  return out;
}

/**
 * Appends frames to a sealed recording through `write` (the caller owns the file). Chunks are
 * sealed as they fill, so at most one chunk of audio is in memory per leg.
 */
export class SealedWriter {
  readonly header: Buffer;
  readonly #nonceBase = randomBytes(8);
  #frames: Buffer[] = [];
  #index = 0;
  #closed = false;
  bytes = 0;
  frames = 0;

  constructor(
    private readonly write: (b: Buffer) => void,
    keyId: string,
    private readonly key: Buffer,
    readonly meta: ContainerMeta,
  ) {
    this.header = encodeHeader(keyId, key, this.#nonceBase, meta);
    this.#out(this.header);
  }

  add(frame: Buffer): void {
    if (this.#closed) throw new Error('writer closed');
    this.#frames.push(frame);
    this.frames++;
    if (this.#frames.length === this.meta.framesPerChunk) this.#flush(false);
  }

  /** Seals the last (possibly empty) chunk with the final flag. */
  close(): void {
    if (this.#closed) return;
    this.#flush(true);
    this.#closed = true;
  }

  #flush(final: boolean): void {
    this.#out(sealChunk(this.key, this.header, this.#nonceBase, this.#index++, final, packFrames(this.#frames)));
    this.#frames = [];
  }

  #out(b: Buffer): void {
    this.write(b);
    this.bytes += b.length;
  }
}

/** A sealed recording opened for reading: the chunk table comes from the length fields alone. */
export class SealedReader {
  readonly #fd: number;
  readonly header: Header;
  readonly #chunks: { offset: number; length: number }[] = [];
  readonly #key: Buffer;
  readonly frames: number;

  constructor(path: string, keyOf: (id: string) => Buffer) {
    try {
      this.#fd = openSync(path, 'r');
    } catch (err) {
      throw new EarshotError('EARSHOT_ERR_RECORDING_IO', 'recording not readable', { cause: err });
    }
    try {
      const size = fstatSync(this.#fd).size;
      this.header = this.#readHeader(size);
      let off = this.header.bytes.length;
      while (off < size) {
        if (off + 4 > size) throw new EarshotError('EARSHOT_ERR_RECORDING_CORRUPT', 'truncated chunk length');
        const len = this.#read(off, 4).readUInt32BE(0);
        if (len < TAG || len > MAX_CHUNK || off + 4 + len > size) throw new EarshotError('EARSHOT_ERR_RECORDING_CORRUPT', 'truncated chunk');
        this.#chunks.push({ offset: off + 4, length: len });
        off += 4 + len;
      }
      if (this.#chunks.length === 0) throw new EarshotError('EARSHOT_ERR_RECORDING_CORRUPT', 'no chunks');
      this.#key = keyOf(this.header.keyId);
      if (!timingSafeEqual(keyCheck(this.#key), this.header.check)) throw new EarshotError('EARSHOT_ERR_RECORDING_KEY', 'the key does not open this recording');
      const last = this.#chunks.length - 1;
      const lastFrames = this.chunk(last).length;
      this.frames = last * this.header.framesPerChunk + lastFrames;
    } catch (err) {
      closeSync(this.#fd);
      throw err;
    }
  }

  get chunkCount(): number {
    return this.#chunks.length;
  }

  /** The Opus packets of chunk `i` (decrypts and authenticates only that chunk). */
  chunk(i: number): Buffer[] {
    const c = this.#chunks[i];
    if (!c) throw new EarshotError('EARSHOT_ERR_RECORDING_CORRUPT', 'no such chunk');
    const final = i === this.#chunks.length - 1;
    const frames = unpackFrames(openChunk(this.#key, this.header, i, final, this.#read(c.offset, c.length)));
    if (!final && frames.length !== this.header.framesPerChunk) throw new EarshotError('EARSHOT_ERR_RECORDING_CORRUPT', 'short inner chunk');
    return frames;
  }

  close(): void {
    closeSync(this.#fd);
  }

  #readHeader(size: number): Header {
    const bad = () => new EarshotError('EARSHOT_ERR_RECORDING_CORRUPT', 'not a recording header');
    if (size < 6) throw bad();
    const head = this.#read(0, Math.min(size, 6 + 255 + 24));
    if (!head.subarray(0, 4).equals(MAGIC) || head[4] !== VERSION) throw bad();
    const idLen = head[5];
    const at = 6 + idLen;
    const end = at + 24;
    if (head.length < end || idLen === 0) throw bad();
    const keyId = head.subarray(6, at).toString('utf8');
    const nonceBase = Buffer.from(head.subarray(at, at + 8));
    const check = Buffer.from(head.subarray(at + 8, at + 16));
    const sampleRate = head.readUInt32BE(at + 16);
    const frameSamples = head.readUInt16BE(at + 20);
    const framesPerChunk = head.readUInt16BE(at + 22);
    if (!sampleRate || !frameSamples || !framesPerChunk) throw bad();
    return { keyId, nonceBase, check, sampleRate, frameSamples, framesPerChunk, bytes: Buffer.from(head.subarray(0, end)) };
  }

  #read(offset: number, length: number): Buffer {
    const b = Buffer.alloc(length);
    let got = 0;
    try {
      while (got < length) {
        const n = readSync(this.#fd, b, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
    } catch (err) {
      throw new EarshotError('EARSHOT_ERR_RECORDING_IO', 'recording read failed', { cause: err });
    }
    if (got < length) throw new EarshotError('EARSHOT_ERR_RECORDING_CORRUPT', 'truncated');
    return b;
  }
}
