// Playback: a sealed recording as a 16-bit mono WAV, rendered for a byte range. Each chunk is
// decoded on its own after the previous chunk's last packets (decoder warm-up), so any range
// gives the same bytes as the whole file and only the chunks under the range are decrypted.
import { SealedReader } from './container.js';
import { wavHeader } from '../speech/wav.js';
import { decodePackets } from './opus.js';

const WAV_HEADER = 44;
const WARMUP = 10; // 200 ms: enough for the decoder's state to converge (bench: correlation 0.97 at a chunk seam vs 0.75 with 3)

export function wavLength(r: SealedReader): number {
  return WAV_HEADER + r.frames * r.header.frameSamples * 2;
}

/** Bytes `start`..`end` (inclusive) of the recording's WAV rendering. */
export function renderWav(r: SealedReader, start = 0, end = wavLength(r) - 1): Buffer {
  const total = wavLength(r);
  end = Math.min(end, total - 1);
  if (start > end) return Buffer.alloc(0);
  const { frameSamples: frame, framesPerChunk: fpc, sampleRate } = r.header;
  const parts: Buffer[] = [];
  if (start < WAV_HEADER) parts.push(wavHeader(sampleRate, total - WAV_HEADER).subarray(start, Math.min(WAV_HEADER, end + 1)));
  if (end >= WAV_HEADER) {
    const b0 = Math.max(start, WAV_HEADER) - WAV_HEADER; // data byte offsets
    const b1 = end - WAV_HEADER;
    const chunkBytes = fpc * frame * 2;
    const c0 = Math.floor(b0 / chunkBytes);
    const c1 = Math.floor(b1 / chunkBytes);
    let prev = c0 > 0 ? r.chunk(c0 - 1) : [];
    for (let c = c0; c <= c1; c++) {
      const packets = r.chunk(c);
      const pcm = decodePackets(sampleRate, frame, prev.slice(-WARMUP), packets);
      const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
      const base = c * chunkBytes;
      parts.push(bytes.subarray(Math.max(0, b0 - base), Math.min(bytes.length, b1 - base + 1)));
      prev = packets;
    }
  }
  return Buffer.concat(parts);
}
