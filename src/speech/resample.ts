import { EarshotError } from '../errors.js';
// Streaming rational resampler (polyphase, Kaiser-windowed sinc) to the recogniser's 16 kHz.
// Linear interpolation would fold everything above 8 kHz of a 48 kHz source back into the speech
// band and leave 8 kHz sources' spectral images at 4-8 kHz; both hurt recognition.

export const TARGET_RATE = 16000;
const ZERO_CROSSINGS = 32; // per side; sets the transition band (~1.1 kHz at 48k→16k)
const CUTOFF = 0.93; // of the lower Nyquist: passband to ~0.87, stopband from 1.0
const KAISER_BETA = 8.6; // ~80 dB stopband
const MAX_PHASES = 4096;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

export class ResampleError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_SAMPLE_RATE';
  constructor(message: string, options?: { cause?: unknown }) {
    super('EARSHOT_ERR_SAMPLE_RATE', undefined, { message, cause: options?.cause });
    this.name = 'ResampleError';
  }
}

/** True for rates the resampler accepts (integer Hz, 4–192 kHz, a reasonable ratio to 16 kHz). */
export function supportedRate(rate: number): boolean {
  if (!Number.isInteger(rate) || rate < 4000 || rate > 192000) return false;
  return TARGET_RATE / gcd(rate, TARGET_RATE) <= MAX_PHASES;
}

/**
 * One leg's resampler. `push(int16)` returns the 16 kHz float samples ([-1, 1]) available so far;
 * the filter's look-ahead (~1 ms at 8 kHz, ~0.7 ms at 48 kHz) is held back until more input
 * arrives. Sample-accurate across chunk boundaries, so segment times stay exact.
 */
export class Resampler {
  readonly inRate: number;
  readonly #up: number; // L: output phases per input sample
  readonly #down: number; // M
  readonly #half: number; // taps each side
  readonly #table: Float32Array; // [phase][2*half] coefficients
  #hist: Float32Array; // input samples from absolute index #histStart
  #histLen = 0;
  #histStart = 0;
  #i = 0; // input index of the next output (integer part)
  #p = 0; // phase of the next output (fractional part, in 1/L)

  constructor(inRate: number) {
    if (!supportedRate(inRate)) throw new ResampleError(`unsupported sample rate ${inRate}`);
    this.inRate = inRate;
    const g = gcd(inRate, TARGET_RATE);
    this.#up = TARGET_RATE / g;
    this.#down = inRate / g;
    // Cutoff in cycles per input sample; below the lower of the two Nyquist frequencies.
    const fc = (CUTOFF * Math.min(inRate, TARGET_RATE)) / 2 / inRate;
    this.#half = inRate === TARGET_RATE ? 0 : Math.ceil(ZERO_CROSSINGS / (2 * fc));
    const taps = 2 * this.#half;
    this.#table = new Float32Array(this.#up * taps);
    const i0b = besselI0(KAISER_BETA);
    for (let p = 0; p < this.#up && taps > 0; p++) {
      const frac = p / this.#up;
      for (let k = 0; k < taps; k++) {
        const tau = frac - (k - this.#half + 1); // distance from output instant to input sample
        const x = 2 * fc * tau;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = tau / (this.#half + 1);
        const w = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0b;
        this.#table[p * taps + k] = 2 * fc * sinc * w;
      }
    }
    this.#hist = new Float32Array(Math.max(1024, taps * 4));
    // Start with `half` zeros of history so the first output is centred on the first sample.
    this.#histLen = this.#half;
    this.#histStart = -this.#half;
  }

  push(samples: Int16Array): Float32Array {
    if (this.#half === 0) {
      const out = new Float32Array(samples.length);
      for (let j = 0; j < samples.length; j++) out[j] = samples[j] / 32768;
      return out;
    }
    this.#append(samples);
    const taps = 2 * this.#half;
    const end = this.#histStart + this.#histLen; // absolute index one past the last input
    const est = Math.ceil(((end - this.#i) * this.#up) / this.#down) + 1;
    const out = new Float32Array(Math.max(0, est));
    let n = 0;
    const h = this.#hist;
    // Output needs inputs i-half+1 .. i+half.
    while (this.#i + this.#half < end && n < out.length) {
      const base = this.#i - this.#half + 1 - this.#histStart;
      const off = this.#p * taps;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += h[base + k] * this.#table[off + k];
      out[n++] = acc;
      this.#p += this.#down;
      if (this.#p >= this.#up) {
        this.#i += Math.floor(this.#p / this.#up);
        this.#p %= this.#up;
      }
    }
    this.#trim();
    return n === out.length ? out : out.subarray(0, n);
  }

  #append(samples: Int16Array): void {
    const need = this.#histLen + samples.length;
    if (need > this.#hist.length) {
      const next = new Float32Array(Math.max(need, this.#hist.length * 2));
      next.set(this.#hist.subarray(0, this.#histLen));
      this.#hist = next;
    }
    for (let j = 0; j < samples.length; j++) this.#hist[this.#histLen + j] = samples[j] / 32768;
    this.#histLen = need;
  }

  /** Drops input no future output can reach (everything before i-half+1). */
  #trim(): void {
    const keepFrom = this.#i - this.#half + 1;
    const drop = keepFrom - this.#histStart;
    if (drop <= 0) return;
    this.#hist.copyWithin(0, drop, this.#histLen);
    this.#histLen -= drop;
    this.#histStart = keepFrom;
  }
}
