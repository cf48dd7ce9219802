import { EarshotError } from '../errors.js';
// Minimal RIFF/WAVE reader for 16-bit PCM (tests, benches, the model tools' self-check).
// Import of customer recordings has its own decoder in the ingest stage.

export interface Wav {
  sampleRate: number;
  channels: number;
  /** Interleaved when channels > 1. */
  samples: Int16Array;
}

export class WavError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_WAV';
  constructor(message: string, options?: { cause?: unknown }) {
    super('EARSHOT_ERR_WAV', undefined, { message, cause: options?.cause });
    this.name = 'WavError';
  }
}

export function parseWav(buf: Buffer): Wav {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavError('not a RIFF/WAVE file');
  }
  let off = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new WavError('truncated fmt chunk');
      fmt = {
        format: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new WavError('data chunk before fmt chunk');
      // WAVE_FORMAT_EXTENSIBLE (0xfffe) with 16-bit samples is PCM too.
      if ((fmt.format !== 1 && fmt.format !== 0xfffe) || fmt.bits !== 16) throw new WavError('only 16-bit PCM is supported');
      if (fmt.channels < 1 || fmt.rate < 1) throw new WavError('bad channel count or sample rate');
      const end = Math.min(buf.length, body + size);
      const n = Math.floor((end - body) / 2);
      const samples = new Int16Array(n);
      for (let j = 0; j < n; j++) samples[j] = buf.readInt16LE(body + 2 * j);
      return { sampleRate: fmt.rate, channels: fmt.channels, samples };
    }
    off = body + size + (size & 1);
  }
  throw new WavError('no data chunk');
}

/** The 44-byte header of a mono 16-bit PCM WAV holding `dataBytes` of samples. */
export function wavHeader(sampleRate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export function writeWav(samples: Int16Array, sampleRate: number): Buffer {
  const buf = Buffer.alloc(44 + samples.length * 2);
  wavHeader(sampleRate, samples.length * 2).copy(buf, 0);
  for (let j = 0; j < samples.length; j++) buf.writeInt16LE(samples[j], 44 + 2 * j);
  return buf;
}
