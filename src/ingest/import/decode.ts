import { type Codec, BYTES_PER_SAMPLE } from './format.js';
import { ALAW, ULAW } from './g711.js';

/**
 * Splits interleaved bytes into one Int16Array per channel. Fresh arrays every call: frames
 * handed to the bus are subarrays of these and listeners may keep them.
 */
export function deinterleave(buf: Buffer, codec: Codec, channels: number): Int16Array[] {
  const bps = BYTES_PER_SAMPLE[codec];
  const frames = Math.floor(buf.length / (bps * channels));
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) out[c][f] = sampleAt(buf, (f * channels + c) * bps, codec);
  }
  return out;
}

function sampleAt(buf: Buffer, o: number, codec: Codec): number {
  switch (codec) {
    case 'l16':
      return buf.readInt16LE(o);
    case 'pcmu':
      return ULAW[buf[o]];
    case 'pcma':
      return ALAW[buf[o]];
    case 'u8':
      return (buf[o] - 128) << 8;
    case 's24':
      return buf.readIntLE(o, 3) >> 8;
    case 's32':
      return buf.readInt32LE(o) >> 16;
    case 'f32': {
      const v = buf.readFloatLE(o);
      return Number.isFinite(v) ? Math.max(-32768, Math.min(32767, Math.round(v * 32767))) : 0;
    }
  }
}
