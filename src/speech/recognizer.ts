// The recogniser host of one thread: owns the VAD model and one engine, runs every leg's
// pipeline through a single serial queue (one decoder cannot interleave), tracks per-leg progress.
import type { AsrEngine } from './engines/engine.js';
import { clock, LegPipeline, type PipelineSink } from './leg-pipeline.js';
import type { SegmenterConfig, SileroVad } from './vad.js';

export interface LegProgress {
  /** Input seconds handed to the recogniser. */
  receivedSec: number;
  /** Input seconds through the VAD (what real-time pacing is measured on). */
  vadSec: number;
  /** Input seconds recognised, finals emitted. */
  doneSec: number;
}

export interface RecognizerSink extends PipelineSink {
  /** A leg's job failed; its pipeline was reset. Never carries audio or text. */
  error(legId: string, err: unknown): void;
}

export class Recognizer {
  readonly #legs = new Map<string, { pipe: LegPipeline; receivedSec: number }>();
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;
  #closing = false;

  constructor(
    private readonly engine: AsrEngine,
    private readonly vad: SileroVad,
    private readonly cfg: SegmenterConfig,
    private readonly sink: RecognizerSink,
  ) {}

  get engineName(): AsrEngine['name'] {
    return this.engine.name;
  }

  /** Jobs waiting or running. */
  get queued(): number {
    return this.#queued;
  }

  open(legId: string): void {
    if (this.#legs.has(legId)) return;
    this.#legs.set(legId, { pipe: this.#pipeline(legId), receivedSec: 0 });
  }

  has(legId: string): boolean {
    return this.#legs.has(legId);
  }

  /** Queues a chunk; the promise settles when it has been through VAD (and any segment it closed). */
  audio(legId: string, samples: Int16Array, sampleRate: number, tMs: number): Promise<void> {
    const leg = this.#legs.get(legId);
    if (!leg) return Promise.resolve();
    leg.receivedSec += samples.length / sampleRate;
    const arrivedAt = clock(); // partial latency counts the wait in this queue too
    return this.#run(legId, () => leg.pipe.push(samples, sampleRate, tMs, arrivedAt));
  }

  /** Resolves once everything received for the leg is recognised and its last final emitted. */
  end(legId: string): Promise<void> {
    const leg = this.#legs.get(legId);
    if (!leg) return this.#tail;
    return this.#run(legId, async () => {
      try {
        await leg.pipe.finish();
      } finally {
        leg.pipe.close();
        this.#legs.delete(legId);
      }
    });
  }

  progress(legId: string): LegProgress | undefined {
    const leg = this.#legs.get(legId);
    if (!leg) return undefined;
    return { receivedSec: leg.receivedSec, vadSec: leg.pipe.vadSec, doneSec: leg.pipe.doneSec };
  }

  legIds(): string[] {
    return [...this.#legs.keys()];
  }

  /** Resolves when the queue is empty. */
  idle(): Promise<void> {
    return this.#tail;
  }

  /** Shutdown: the job running finishes (a native run cannot be interrupted safely); queued ones are skipped. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#tail;
    for (const { pipe } of this.#legs.values()) pipe.close();
    this.#legs.clear();
    this.engine.close();
  }

  #pipeline(legId: string): LegPipeline {
    // The running job counts itself: idle = nothing else waiting for this decoder.
    return new LegPipeline(legId, this.engine, this.vad, this.cfg, this.sink, () => this.#queued <= 1);
  }

  #run(legId: string, job: () => Promise<void>): Promise<void> {
    this.#queued++;
    const p = this.#tail.then(async () => {
      try {
        if (this.#legs.has(legId) && !this.#closing) await job();
      } catch (err) {
        // A failed leg starts afresh from its next chunk rather than going deaf for the call.
        const leg = this.#legs.get(legId);
        leg?.pipe.close();
        if (leg) leg.pipe = this.#pipeline(legId);
        this.sink.error(legId, err);
      } finally {
        this.#queued--;
      }
    });
    this.#tail = p;
    return p;
  }
}
