// Codec registry: which RTP payload formats Earshot decodes, and a decoder per leg.
// Decoders are per leg because G.722 and Opus carry state from packet to packet.
import { OpusDecoder } from 'opus-decoder';
import { ALAW_TABLE, ULAW_TABLE, decodeG711 } from './g711.js';
import { G722Decoder } from './g722.js';
import { allocPcm } from './pcm-slab.js';
import { EarshotError } from '../../errors.js';

export interface Decoder {
  /** Upper-case encoding name as in SDP rtpmap (PCMU, PCMA, G722, L16, OPUS). */
  readonly name: string;
  /** RTP timestamp clock (G.722: 8000 although the audio is 16 kHz; Opus: always 48000). */
  readonly clockRate: number;
  /** Sample rate of the decoded mono PCM. */
  readonly sampleRate: number;
  /**
   * Decodes one RTP payload to mono PCM in a fresh array the decoder never touches again (callers
   * may emit it as is). Throws `{code:'EARSHOT_ERR_DECODE'}` on a bad payload.
   */
  decode(payload: Uint8Array): Int16Array;
  free(): void;
}

export interface CodecSpec {
  name: string;
  clockRate: number;
  channels?: number;
}

/** Static payload types whose rtpmap may be omitted from SDP (RFC 3551). */
export const STATIC_PAYLOADS: Record<number, CodecSpec> = {
  0: { name: 'PCMU', clockRate: 8000 },
  8: { name: 'PCMA', clockRate: 8000 },
  9: { name: 'G722', clockRate: 8000 },
  10: { name: 'L16', clockRate: 44100, channels: 2 },
  11: { name: 'L16', clockRate: 44100 },
};

/** Offer preference does the choosing; this only says what can be decoded. */
export function isDecodable(spec: CodecSpec): boolean {
  const name = spec.name.toUpperCase();
  const ch = spec.channels ?? 1;
  switch (name) {
    case 'PCMU':
    case 'PCMA':
    case 'G722':
      return spec.clockRate === 8000 && ch === 1;
    case 'L16':
      return spec.clockRate >= 8000 && spec.clockRate <= 48000 && ch >= 1 && ch <= 2;
    case 'OPUS':
      return spec.clockRate === 48000;
    default:
      return false;
  }
}

export class DecodeError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_DECODE';
  constructor(message: string, options?: { cause?: unknown }) {
    super('EARSHOT_ERR_DECODE', undefined, { message, cause: options?.cause });
    this.name = 'DecodeError';
  }
}

function l16Decoder(clockRate: number, channels: number): Decoder {
  return {
    name: 'L16',
    clockRate,
    sampleRate: clockRate,
    decode(p) {
      const frame = 2 * channels;
      if (p.length % frame !== 0) throw new DecodeError('L16 payload not a whole number of frames');
      const out = allocPcm(p.length / frame);
      // Network byte order; a stereo stream is downmixed so each leg stays mono.
      for (let i = 0, o = 0; o < out.length; o++, i += frame) {
        let acc = 0;
        for (let c = 0; c < channels; c++) acc += (((p[i + 2 * c] << 8) | p[i + 2 * c + 1]) << 16) >> 16;
        out[o] = acc / channels;
      }
      return out;
    },
    free() {},
  };
}

// opus-decoder prints every rejected packet with console.error (a corrupt or hostile stream would
// flood stderr); the rejection itself still reaches us in `errors` and is counted as bad input.
const silent = () => {};
function decodeQuietly(dec: OpusDecoder<16000>, p: Uint8Array) {
  const log = console.error;
  console.error = silent;
  try {
    return dec.decodeFrame(p);
  } finally {
    console.error = log;
  }
}

async function opusDecoder(channels: number): Promise<Decoder> {
  // 16 kHz output: what the speech stage wants, and Opus resamples internally at no extra cost.
  const dec = new OpusDecoder({ sampleRate: 16000, channels: Math.min(Math.max(channels, 1), 2) });
  await dec.ready;
  return {
    name: 'OPUS',
    clockRate: 48000,
    sampleRate: 16000,
    decode(p) {
      if (p.length === 0) throw new DecodeError('empty Opus payload');
      const r = decodeQuietly(dec, p);
      if (r.errors.length > 0 || r.samplesDecoded === 0) throw new DecodeError('Opus frame rejected');
      const out = allocPcm(r.samplesDecoded);
      const chs = r.channelData;
      for (let i = 0; i < out.length; i++) {
        let v = 0;
        for (const ch of chs) v += ch[i];
        v = (v / chs.length) * 32767;
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      return out;
    },
    free() {
      dec.free();
    },
  };
}

/** Throws `{code:'EARSHOT_ERR_CODEC'}` for a format `isDecodable` refuses. */
export async function createDecoder(spec: CodecSpec): Promise<Decoder> {
  if (!isDecodable(spec)) throw Object.assign(new Error(`unsupported codec ${spec.name}/${spec.clockRate}`), { code: 'EARSHOT_ERR_CODEC' });
  const name = spec.name.toUpperCase();
  const g711 = (table: Int16Array, n: string): Decoder => ({
    name: n,
    clockRate: 8000,
    sampleRate: 8000,
    decode: (p) => decodeG711(table, p),
    free() {},
  });
  switch (name) {
    case 'PCMU':
      return g711(ULAW_TABLE, 'PCMU');
    case 'PCMA':
      return g711(ALAW_TABLE, 'PCMA');
    case 'G722': {
      const g = new G722Decoder();
      return { name: 'G722', clockRate: 8000, sampleRate: 16000, decode: (p) => g.decode(p), free() {} };
    }
    case 'L16':
      return l16Decoder(spec.clockRate, spec.channels ?? 1);
    default:
      return opusDecoder(spec.channels ?? 2);
  }
}
