import type { FileHandle } from 'node:fs/promises';
import { deinterleave } from './decode.js';
import type { AudioFormat } from './format.js';
import type { BlockReader } from './pump.js';

export function durationMs(fmt: AudioFormat): number {
  return ((fmt.dataBytes / fmt.blockAlign) * 1000) / fmt.sampleRate;
}

/** Reads the data chunk block by block; a file that shrank under us ends early, keeping what was read. */
export function fileReader(fh: FileHandle, fmt: AudioFormat): BlockReader {
  let pos = 0;
  return async (maxSamples) => {
    const want = Math.min(maxSamples * fmt.blockAlign, fmt.dataBytes - pos);
    if (want <= 0) return undefined;
    const buf = Buffer.alloc(want);
    const { bytesRead } = await fh.read(buf, 0, want, fmt.dataOffset + pos);
    const whole = bytesRead - (bytesRead % fmt.blockAlign);
    if (whole <= 0) return undefined;
    pos += whole;
    return deinterleave(buf.subarray(0, whole), fmt.codec, fmt.channels);
  };
}
