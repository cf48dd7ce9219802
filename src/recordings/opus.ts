// Opus at the leg's own rate (8/12/16/24/48 kHz; anything else is resampled to 16 kHz): voice
// at 16 kbit/s is ~7 MB per call hour and leg, a tenth of G.711, and decodes in any browser.
import { createRequire } from 'node:module';
import type OpusScriptType from 'opusscript';
import { Resampler } from '../speech/resample.js';

const require = createRequire(import.meta.url);
const OpusScript = require('opusscript') as typeof OpusScriptType;

export const OPUS_RATES = [8000, 12000, 16000, 24000, 48000];
const FRAME_MS = 20;
const OPUS_SET_VBR = 4006;
/** Encoder look-ahead: decoded audio lags the input by this much at every rate (measured; 2.5 ms + 4 ms). */
export const OPUS_DELAY_MS = 6.5;

export const opusRate = (rate: number): number => (OPUS_RATES.includes(rate) ? rate : 16000);
export const frameSamples = (rate: number): number => (opusRate(rate) * FRAME_MS) / 1000;

/** One leg's encoder: PCM in at the leg's rate, 20 ms Opus packets out. */
export class LegEncoder {
  readonly rate: number;
  readonly frame: number;
  readonly #enc: OpusScriptType;
  readonly #resampler: Resampler | undefined;
  #buf: Int16Array;
  #fill = 0;

  constructor(inRate: number, bitrate: number, private readonly out: (packet: Buffer) => void) {
    this.rate = opusRate(inRate);
    this.frame = frameSamples(inRate);
    this.#enc = new OpusScript(this.rate as 8000, 1, OpusScript.Application.VOIP);
    this.#enc.setBitrate(bitrate);
    // Constant bitrate: a packet's size says nothing about what was said (muted spans included).
    this.#enc.encoderCTL(OPUS_SET_VBR, 0);
    this.#resampler = this.rate === inRate ? undefined : new Resampler(inRate);
    this.#buf = new Int16Array(this.frame);
  }

  push(samples: Int16Array): void {
    const pcm = this.#resampler ? toInt16(this.#resampler.push(samples)) : samples;
    let off = 0;
    while (off < pcm.length) {
      const n = Math.min(this.frame - this.#fill, pcm.length - off);
      this.#buf.set(pcm.subarray(off, off + n), this.#fill);
      this.#fill += n;
      off += n;
      if (this.#fill === this.frame) this.#emit();
    }
  }

  /** Pads the last frame with silence and frees the encoder. */
  close(): void {
    if (this.#fill > 0) {
      this.#buf.fill(0, this.#fill);
      this.#emit();
    }
    this.#enc.delete();
  }

  #emit(): void {
    this.out(Buffer.from(this.#enc.encode(Buffer.from(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength), this.frame)));
    this.#fill = 0;
  }
}

function toInt16(f: Float32Array): Int16Array {
  const out = new Int16Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(f[i] * 32768)));
  return out;
}

/** Decodes packets to PCM; `warmup` packets before them prime the decoder and are discarded. */
export function decodePackets(rate: number, frame: number, warmup: Buffer[], packets: Buffer[]): Int16Array {
  const dec = new OpusScript(rate as 8000, 1, OpusScript.Application.VOIP);
  try {
    for (const p of warmup) dec.decode(p);
    const out = new Int16Array(packets.length * frame);
    packets.forEach((p, i) => {
      const b = dec.decode(p);
      const s = new Int16Array(b.buffer, b.byteOffset, Math.min(frame, b.byteLength >> 1));
      out.set(s, i * frame);
    });
    return out;
  } finally {
    dec.delete();
  }
}
