// One leg's path through the recogniser: level meter → 16 kHz resampler → Silero windows →
// segmenter → engine stream per segment → final transcript with prosody. Host-agnostic: it runs
// inside a worker (pool) or in-thread (tests, benches); the host serialises calls per worker.
import type { Transcript } from '../call/types.js';
import type { AsrEngine, AsrStream } from './engines/engine.js';
import { LevelMeter, type LevelSnapshot } from './levels.js';
import { computeProsody } from './prosody.js';
import { Resampler, TARGET_RATE } from './resample.js';
import { Segmenter, type SegmenterConfig, type SileroVad, VAD_WINDOW, type VadState } from './vad.js';

const PAD = 1600; // 100 ms of audio before the first speech window goes to the recogniser too
// Silence after the last speech window is held back and only its first 96 ms reach the
// recogniser: pocketsphinx normalises cepstra over the whole segment (batch CMN), and the half
// second of line silence (often digital zero) before the VAD closes skews that mean. On bench/wer's
// telephone set, 100 ms pre-roll + 96 ms tail scored best of 100/200/300/500 ms variants.
const TAIL_WINDOWS = 3;
const STATS_EVERY_S = 5;
const RESYNC_MS = 60; // a timestamp jump larger than this moves the leg's time base

/** A transcript as a leg's pipeline knows it: the call, leg and role are added by the stage. */
export type LegTranscript = Omit<Transcript, 'callId' | 'legId' | 'role'>;

/** Timings measured where the work happens (the worker), for the stage's histograms. */
export interface TranscriptTiming {
  /** Finals: wall time spent inside the engine for this segment (accept, partial decodes, end). The
   *  engine calls are synchronous on the worker's own thread, so this is the decode's CPU time
   *  unless the core is oversubscribed. */
  engineS?: number;
  /** Finals: seconds of 16 kHz audio the engine was given for the segment. */
  audioS?: number;
  /** Partials: when the newest audio the partial covers reached the recogniser (clock() ms). */
  arrivedAt?: number;
}

/** Epoch ms with sub-ms resolution, comparable across worker threads of one process. */
export const clock = (): number => performance.timeOrigin + performance.now();

export interface PipelineSink {
  transcript(legId: string, t: LegTranscript, timing?: TranscriptTiming): void;
  /** `seq`: the number the segment's final transcript will carry, if it yields words. */
  speech(legId: string, startMs: number, endMs: number, seq: number): void;
  stats(legId: string, s: LevelSnapshot): void;
}

export class LegPipeline {
  readonly #meter = new LevelMeter();
  readonly #seg: Segmenter;
  readonly #vadState: VadState;
  #resampler: Resampler | undefined;
  #win = new Float32Array(VAD_WINDOW);
  #winFill = 0;
  #winIndex = 0; // windows processed = 16 kHz samples / 512
  #ring: Float32Array[] = []; // recent windows for the pre-roll
  #segAudio: Float32Array[] = [];
  #segAudioStart = 0; // 16 kHz sample index of #segAudio[0]
  #stream: AsrStream | null = null;
  #lastPartial = ''; // of the open segment
  #held: Float32Array[] = []; // windows after the last speech window, not yet fed
  readonly #threshold: number;
  #seq = 0;
  #baseMs: number | undefined; // leg time of 16 kHz sample 0
  #inSamples = 0; // input samples at the current rate since the last rate change
  #inMsAtRate = 0; // leg ms covered by input before the current rate
  #statsAt = STATS_EVERY_S;
  #engineMs = 0; // engine time of the open segment
  #fed = 0; // 16 kHz samples given to the engine for the open segment
  #arrivedAt = 0; // clock() when the chunk being processed reached the recogniser
  /** Input seconds whose audio has been through the VAD. */
  vadSec = 0;

  constructor(
    readonly legId: string,
    private readonly engine: AsrEngine,
    private readonly vad: SileroVad,
    cfg: SegmenterConfig,
    private readonly sink: PipelineSink,
    /** False while the host has other jobs waiting: costly partials are skipped then. */
    private readonly idle: () => boolean = () => true,
  ) {
    this.#seg = new Segmenter(cfg);
    this.#threshold = cfg.threshold;
    this.#vadState = vad.newState();
  }

  /** Input seconds fully recognised: everything before an open segment. */
  get doneSec(): number {
    if (!this.#seg.inSpeech) return this.vadSec;
    const open = (this.#winIndex * VAD_WINDOW - Math.max(0, this.#seg.segmentStart - PAD)) / TARGET_RATE;
    return Math.max(0, this.vadSec - open);
  }

  /** `arrivedAt`: clock() when the chunk reached the recogniser (before any queueing). */
  async push(samples: Int16Array, sampleRate: number, tMs: number, arrivedAt = clock()): Promise<void> {
    this.#arrivedAt = arrivedAt;
    if (!this.#resampler || this.#resampler.inRate !== sampleRate) {
      if (this.#resampler) this.#inMsAtRate += (this.#inSamples / this.#resampler.inRate) * 1000;
      this.#resampler = new Resampler(sampleRate);
      this.#inSamples = 0;
    }
    // Keep the leg clock on the source's timestamps: a gap (lost packets, hold) shifts the base.
    const expected = (this.#baseMs ?? tMs) + this.#inMsAtRate + (this.#inSamples / sampleRate) * 1000;
    if (this.#baseMs === undefined) this.#baseMs = tMs;
    else if (Math.abs(tMs - expected) > RESYNC_MS) this.#baseMs += tMs - expected;
    this.#inSamples += samples.length;
    this.#meter.push(samples);

    const pcm = this.#resampler.push(samples);
    let off = 0;
    while (off < pcm.length) {
      const n = Math.min(VAD_WINDOW - this.#winFill, pcm.length - off);
      this.#win.set(pcm.subarray(off, off + n), this.#winFill);
      this.#winFill += n;
      off += n;
      if (this.#winFill === VAD_WINDOW) {
        const w = this.#win;
        this.#win = new Float32Array(VAD_WINDOW);
        this.#winFill = 0;
        await this.#window(w);
      }
    }
    this.vadSec += samples.length / sampleRate;
    if (this.vadSec >= this.#statsAt) {
      this.#statsAt += STATS_EVERY_S;
      this.sink.stats(this.legId, this.#meter.snapshot());
    }
  }

  /** End of input: pads the last window, closes an open segment, sends final stats. */
  async finish(): Promise<void> {
    if (this.#winFill > 0) {
      this.#winFill = 0; // rest of #win is zeros from its allocation
      await this.#window(this.#win);
    }
    for (const ev of this.#seg.flush()) this.#segmentEvent(ev);
    this.sink.stats(this.legId, this.#meter.snapshot());
  }

  close(): void {
    this.#stream?.cancel();
    this.#engineMs = this.#fed = 0;
    this.#stream = null;
    this.#held = [];
  }

  async #window(w: Float32Array): Promise<void> {
    const winStart = this.#winIndex * VAD_WINDOW;
    const p = await this.vad.prob(this.#vadState, w);
    this.#winIndex++;
    if (this.#stream) {
      this.#segAudio.push(w);
      if (p >= this.#threshold) {
        // Speech resumed: the held pause belongs inside the segment.
        for (const h of this.#held) this.#accept(this.#stream, h);
        this.#held = [];
        this.#accept(this.#stream, w);
      } else {
        this.#held.push(w);
      }
    } else {
      this.#ring.push(w);
      while (this.#ring.length * VAD_WINDOW > PAD + VAD_WINDOW) this.#ring.shift();
    }
    for (const ev of this.#seg.window(winStart, p)) this.#segmentEvent(ev);
    if (this.#stream && this.#seg.inSpeech) {
      const stream = this.#stream;
      const idle = this.idle();
      const text = this.#timed(() => stream.partial(idle));
      // Engines re-report an unchanged hypothesis every window: only a change is news.
      if (text && text !== this.#lastPartial) {
        this.#lastPartial = text;
        const startMs = this.#ms(this.#seg.segmentStart);
        const tr: LegTranscript = { seq: this.#seq, text, startMs, endMs: this.#ms(winStart + VAD_WINDOW), final: false };
        this.sink.transcript(this.legId, tr, { arrivedAt: this.#arrivedAt });
      }
    }
  }

  #segmentEvent(ev: ReturnType<Segmenter['window']>[number]): void {
    if (ev.kind === 'start') {
      this.#lastPartial = '';
      // The ring ends with the window that triggered; it becomes part of the segment.
      this.#engineMs = this.#fed = 0;
      const stream = (this.#stream = this.#timed(() => this.engine.start()));
      this.#segAudio = this.#ring;
      this.#segAudioStart = ev.startSample - (this.#ring.length - 1) * VAD_WINDOW;
      for (const w of this.#ring) this.#accept(stream, w);
      this.#ring = [];
      return;
    }
    const stream = this.#stream;
    const audio = this.#segAudio;
    if (stream) for (const h of this.#held.slice(0, TAIL_WINDOWS)) this.#accept(stream, h);
    this.#held = [];
    this.#stream = null;
    this.#segAudio = [];
    // Trailing silence stays available as the next segment's pre-roll.
    this.#ring = audio.slice(-Math.ceil(PAD / VAD_WINDOW) - 1);
    if (!stream) return;
    if (!ev.keep) {
      stream.cancel();
      return;
    }
    const startMs = this.#ms(ev.startSample);
    const endMs = this.#ms(ev.endSample);
    // Before the decode: the segment is closed now (final latency is measured from here, and
    // silence/overtalk rules see it without waiting one decode).
    const seq = this.#seq++;
    this.sink.speech(this.legId, startMs, endMs, seq);
    const r = this.#timed(() => stream.end());
    const timing: TranscriptTiming = { engineS: this.#engineMs / 1000, audioS: this.#fed / TARGET_RATE };
    if (!r.text) return; // speech without words (cough, noise): a speech event but no transcript
    const streamStartMs = this.#ms(this.#segAudioStart);
    const pcm = concat(audio, ev.startSample - this.#segAudioStart, ev.endSample - this.#segAudioStart);
    this.sink.transcript(this.legId, {
      seq,
      text: r.text,
      startMs,
      endMs,
      final: true,
      words: r.words.map((w) => ({ w: w.w, startMs: streamStartMs + w.startMs, endMs: streamStartMs + w.endMs })),
      prosody: computeProsody(pcm),
    }, timing);
  }

  #accept(stream: AsrStream, w: Float32Array): void {
    this.#fed += w.length;
    this.#timed(() => stream.accept(w));
  }

  /** Runs an engine call and adds its wall time to the segment's engine time. */
  #timed<T>(fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.#engineMs += performance.now() - t0;
    }
  }

  #ms(sample16k: number): number {
    return Math.round((this.#baseMs ?? 0) + (sample16k * 1000) / TARGET_RATE);
  }
}

function concat(parts: Float32Array[], from: number, to: number): Float32Array {
  const all = new Float32Array(parts.length * VAD_WINDOW);
  parts.forEach((p, i) => all.set(p, i * VAD_WINDOW));
  return all.subarray(Math.max(0, from), Math.min(all.length, to));
}
