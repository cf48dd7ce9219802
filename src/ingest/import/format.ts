import type { FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import { EarshotError } from '../../errors.js';

// Works out what a recording holds without reading its audio: WAV (RIFF, tolerant of extra and
// odd-sized chunks, of streamed files whose sizes were never patched, of WAVE_FORMAT_EXTENSIBLE)
// or headerless G.711/L16. Hand-written rather than `wavefile`, which loads and converts the whole
// file to float64 (8 bytes a sample) before giving any of it back: an hour of stereo would cost
// ~0.5 GB, where this streams the data chunk in one-second blocks.

export type Codec = 'pcmu' | 'pcma' | 'l16' | 'u8' | 's24' | 's32' | 'f32';

export interface AudioFormat {
  container: 'wav' | 'raw';
  codec: Codec;
  channels: number;
  sampleRate: number;
  /** Bytes per sample frame (all channels). */
  blockAlign: number;
  dataOffset: number;
  dataBytes: number;
}

export type BadReason =
  | 'not-riff' | 'no-fmt' | 'no-data' | 'unsupported-format' | 'bad-fmt' | 'empty' | 'unknown-format' | 'bad-options'
  | 'bad-capture' | 'no-calls';

export class ImportFormatError extends EarshotError {
  constructor(
    readonly reason: BadReason,
    detail: string,
  ) {
    super('EARSHOT_ERR_IMPORT_FORMAT', detail);
  }
}

const WAVE_PCM = 1;
const WAVE_FLOAT = 3;
const WAVE_ALAW = 6;
const WAVE_MULAW = 7;
const WAVE_EXTENSIBLE = 0xfffe;

export const BYTES_PER_SAMPLE: Record<Codec, number> = { pcmu: 1, pcma: 1, u8: 1, l16: 2, s24: 3, s32: 4, f32: 4 };

export interface RawOptions {
  codec?: 'pcmu' | 'pcma' | 'l16';
  sampleRate?: number;
  channels?: number;
}

const RAW_EXT: Record<string, 'pcmu' | 'pcma' | 'l16'> = {
  '.ul': 'pcmu', '.ulaw': 'pcmu', '.mulaw': 'pcmu', '.pcmu': 'pcmu', '.mu': 'pcmu',
  '.al': 'pcma', '.alaw': 'pcma', '.pcma': 'pcma',
  '.l16': 'l16', '.sln': 'l16', '.slin': 'l16', '.pcm': 'l16',
};

export async function probe(fh: FileHandle, fileName: string, raw: RawOptions): Promise<AudioFormat> {
  const size = (await fh.stat()).size;
  if (size === 0) throw new ImportFormatError('empty', 'the file is empty');
  const head = Buffer.alloc(12);
  await fh.read(head, 0, 12, 0);
  if (head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WAVE') return probeWav(fh, size);
  if (head.toString('latin1', 0, 4) === 'RIFF' || head.toString('latin1', 0, 4) === 'RF64') {
    throw new ImportFormatError('not-riff', 'RIFF file is not WAVE (or is RF64, not supported)');
  }
  const codec = raw.codec ?? RAW_EXT[extname(fileName).toLowerCase()];
  if (!codec) throw new ImportFormatError('unknown-format', 'not a WAV file; give the codec (pcmu, pcma, l16) for headerless audio');
  const channels = raw.channels ?? 1;
  const sampleRate = raw.sampleRate ?? 8000;
  checkShape(channels, sampleRate);
  const blockAlign = BYTES_PER_SAMPLE[codec] * channels;
  return { container: 'raw', codec, channels, sampleRate, blockAlign, dataOffset: 0, dataBytes: size - (size % blockAlign) };
}

function checkShape(channels: number, sampleRate: number): void {
  if (!Number.isInteger(channels) || channels < 1 || channels > 8) throw new ImportFormatError('bad-fmt', `unsupported channel count ${channels}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 4000 || sampleRate > 192000) throw new ImportFormatError('bad-fmt', `unsupported sample rate ${sampleRate}`);
}

async function probeWav(fh: FileHandle, size: number): Promise<AudioFormat> {
  let pos = 12;
  let fmt: Omit<AudioFormat, 'dataOffset' | 'dataBytes' | 'container'> | undefined;
  const hdr = Buffer.alloc(8);
  while (pos + 8 <= size) {
    await fh.read(hdr, 0, 8, pos);
    const id = hdr.toString('latin1', 0, 4);
    const len = hdr.readUInt32LE(4);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (len < 16 || body + len > size) throw new ImportFormatError('bad-fmt', 'fmt chunk too short or cut off');
      const b = Buffer.alloc(Math.min(len, 40));
      await fh.read(b, 0, b.length, body);
      fmt = parseFmt(b);
    } else if (id === 'data') {
      if (!fmt) throw new ImportFormatError('no-fmt', 'data chunk before fmt chunk');
      // Streaming writers leave 0 or 0xFFFFFFFF here; a crash leaves too large a size. Take what is there.
      const avail = size - body;
      const bytes = len === 0 || len > avail ? avail : len;
      const dataBytes = bytes - (bytes % fmt.blockAlign);
      if (dataBytes <= 0) throw new ImportFormatError('empty', 'the data chunk holds no audio');
      return { container: 'wav', ...fmt, dataOffset: body, dataBytes };
    }
    pos = body + len + (len & 1); // chunks are padded to even sizes
  }
  throw new ImportFormatError(fmt ? 'no-data' : 'no-fmt', fmt ? 'no data chunk' : 'no fmt chunk');
}

function parseFmt(b: Buffer): Omit<AudioFormat, 'dataOffset' | 'dataBytes' | 'container'> {
  let tag = b.readUInt16LE(0);
  const channels = b.readUInt16LE(2);
  const sampleRate = b.readUInt32LE(4);
  const blockAlign = b.readUInt16LE(12);
  const bits = b.readUInt16LE(14);
  if (tag === WAVE_EXTENSIBLE) {
    if (b.length < 26) throw new ImportFormatError('bad-fmt', 'extensible fmt chunk too short');
    tag = b.readUInt16LE(24); // first two bytes of the sub-format GUID
  }
  checkShape(channels, sampleRate);
  let codec: Codec | undefined;
  if (tag === WAVE_PCM) codec = ({ 8: 'u8', 16: 'l16', 24: 's24', 32: 's32' } as const)[bits as 8 | 16 | 24 | 32];
  else if (tag === WAVE_FLOAT && bits === 32) codec = 'f32';
  else if (tag === WAVE_MULAW && bits === 8) codec = 'pcmu';
  else if (tag === WAVE_ALAW && bits === 8) codec = 'pcma';
  if (!codec) throw new ImportFormatError('unsupported-format', `WAV format tag ${tag} with ${bits} bits is not supported`);
  if (blockAlign !== BYTES_PER_SAMPLE[codec] * channels) throw new ImportFormatError('bad-fmt', `block align ${blockAlign} does not match ${channels} x ${bits} bits`);
  return { codec, channels, sampleRate, blockAlign };
}
