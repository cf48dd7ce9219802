// The recogniser contract both engines implement. A stream is one VAD segment of one leg:
// 16 kHz float audio in, optional partial text while it grows, a final result at end().
// Times in results are ms from the stream's first sample.
import { EarshotError, type ErrorCode } from '../../errors.js';

export type EngineName = 'pocketsphinx' | 'sherpa';

export interface AsrWord {
  w: string;
  startMs: number;
  endMs: number;
}

export interface AsrResult {
  text: string;
  words: AsrWord[];
  /** sherpa: how many times the model's endpoint rules cut the segment (text banked, stream reset). */
  endpoints?: number;
}

export interface AsrStream {
  accept(samples: Float32Array): void;
  /**
   * Current hypothesis if the engine gives partials, else null (the pipeline drops one equal to the last).
   * `idle` is false while the worker has other jobs waiting: an engine whose partial costs a
   * re-decode skips it then (partials are best-effort, finals must not wait for them).
   */
  partial(idle?: boolean): string | null;
  /** Finishes the segment and returns its final result; the stream is unusable afterwards. */
  end(): AsrResult;
  /** Abandons the segment (too short to be speech). */
  cancel(): void;
}

export interface AsrEngine {
  readonly name: EngineName;
  /** Human-readable description for ready(): model and settings, never audio or text. */
  readonly detail: string;
  start(): AsrStream;
  close(): void;
}

export class EngineError extends EarshotError {
  constructor(code: ErrorCode, message: string) {
    super(code, undefined, { message });
    this.name = 'EngineError';
  }
}
