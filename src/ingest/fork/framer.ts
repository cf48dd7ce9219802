import type { PipelineBus } from '../../call/events.js';

const FRAME_MS = 20;

/**
 * Re-chunks one leg's audio into 20 ms frames whatever size the sender uses (mod_audio_fork
 * sends ~100 ms, AudioHook ~200 ms, ARI 20 ms), and keeps `tMs` from the sample count so it
 * never drifts. `skip` advances the clock over audio the sender withheld (AudioHook pause).
 */
export class LegFramer {
  readonly #frame: Int16Array;
  #fill = 0;
  #samplesOut = 0;
  #offsetMs = 0;

  constructor(
    private readonly bus: PipelineBus,
    readonly legId: string,
    readonly sampleRate: number,
  ) {
    this.#frame = new Int16Array(Math.max(1, Math.round((sampleRate * FRAME_MS) / 1000)));
  }

  push(samples: Int16Array): void {
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(this.#frame.length - this.#fill, samples.length - i);
      this.#frame.set(samples.subarray(i, i + n), this.#fill);
      this.#fill += n;
      i += n;
      if (this.#fill === this.#frame.length) this.#emit();
    }
  }

  /** Emit what is buffered, then move the clock on by `ms` of audio that will never come. */
  skip(ms: number): void {
    this.flush();
    if (ms > 0 && Number.isFinite(ms)) this.#offsetMs += ms;
  }

  /** Emit a final short frame, if any (call end, pause). */
  flush(): void {
    if (this.#fill > 0) this.#emit();
  }

  /** Leg-relative time of the next sample, in ms. */
  get positionMs(): number {
    return this.#offsetMs + ((this.#samplesOut + this.#fill) * 1000) / this.sampleRate;
  }

  #emit(): void {
    const samples = this.#frame.slice(0, this.#fill); // a copy: listeners may keep it
    const tMs = this.#offsetMs + (this.#samplesOut * 1000) / this.sampleRate;
    this.#samplesOut += this.#fill;
    this.#fill = 0;
    this.bus.emit('leg.audio', { legId: this.legId, samples, sampleRate: this.sampleRate, tMs });
  }
}

/** Little-endian 16-bit interleaved bytes → one Int16Array per channel. Length must be whole frames. */
export function splitL16(buf: Uint8Array, channels: number): Int16Array[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frames = Math.floor(buf.byteLength / (2 * channels));
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let f = 0; f < frames; f++) for (let c = 0; c < channels; c++) out[c][f] = dv.getInt16((f * channels + c) * 2, true);
  return out;
}

/** 8-bit G.711 interleaved bytes → one Int16Array per channel through an expansion table. */
export function splitG711(buf: Uint8Array, channels: number, table: Int16Array): Int16Array[] {
  const frames = Math.floor(buf.byteLength / channels);
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let f = 0; f < frames; f++) for (let c = 0; c < channels; c++) out[c][f] = table[buf[f * channels + c]];
  return out;
}

/**
 * Keeps a partial sample frame between websocket messages: senders are not obliged to cut
 * messages on sample boundaries (an odd byte count from a stereo L16 sender is legal).
 */
export class Aligner {
  #rest: Buffer = Buffer.alloc(0);
  constructor(private readonly blockAlign: number) {}

  take(chunk: Buffer): Buffer {
    const buf = this.#rest.length ? Buffer.concat([this.#rest, chunk]) : chunk;
    const whole = buf.length - (buf.length % this.blockAlign);
    this.#rest = Buffer.from(buf.subarray(whole));
    return buf.subarray(0, whole);
  }
}
