// One leg's bounded delay line: audio waits here until the recogniser has been through it and
// analysis has said what to mute in every utterance covering it. Only then is it released, with
// redacted and DTMF spans replaced by silence. Audio still unsettled `holdSec` of input later is
// released muted (reason "unanalysed"): the bound is what keeps memory flat, and it never lets
// anything out unredacted.
import type { MuteReason, MutedSpan } from '../store/repos/recordings.js';

const GAP_FILL_MAX_MS = 10_000; // a timestamp gap up to this is filled with silence so seeks line up
const RESYNC_MS = 60;

interface Held {
  s0: number; // input seconds at the chunk's start (the recogniser's progress unit)
  s1: number;
  t0: number; // leg ms of the first sample (recording timeline)
  rate: number;
  samples: Int16Array;
  lost?: boolean; // in flight when a recognition worker died: never analysed
}

export interface Released {
  samples: Int16Array;
  rate: number;
}

export class DelayLine {
  readonly #held: Held[] = [];
  readonly #pending = new Map<number, { startMs: number; endMs: number }>(); // finals awaiting analysis
  readonly #settled = new Set<number>(); // analysed before their final was seen (listener order)
  readonly #mutes: MutedSpan[] = [];
  /** What was muted, merged, for the call record. */
  readonly muted: MutedSpan[] = [];
  #inSec = 0;
  #doneSec = 0;
  #base = 0;
  #nextT: number | undefined; // recording timeline: leg ms of the next sample to write
  offsetMs: number | undefined;
  samplesOut = 0;
  heldSamples = 0;

  constructor(
    private readonly holdSec: number,
    private readonly out: (r: Released) => void,
  ) {}

  audio(samples: Int16Array, rate: number, tMs: number): void {
    const s0 = this.#inSec;
    this.#inSec += samples.length / rate;
    this.#held.push({ s0, s1: this.#inSec, t0: tMs, rate, samples });
    this.heldSamples += samples.length;
    this.#drain(false);
  }

  progress(doneSec: number): void {
    this.#doneSec = Math.max(this.#doneSec, this.#base + doneSec);
    this.#drain(false);
  }

  /** The recogniser lost this leg's in-flight audio (worker restart): it is muted, and progress counts anew from here. */
  restarted(): void {
    for (const h of this.#held) if (h.s1 > this.#doneSec) h.lost = true;
    this.#base = this.#doneSec = this.#inSec;
    this.#drain(false);
  }

  final(seq: number, startMs: number, endMs: number): void {
    if (this.#settled.delete(seq)) return;
    this.#pending.set(seq, { startMs, endMs });
  }

  analysed(seq: number, spans: readonly { startMs: number; endMs: number }[]): void {
    if (!this.#pending.delete(seq)) this.#settled.add(seq);
    for (const s of spans) this.#mutes.push({ ...s, reason: 'redacted' });
    this.#drain(false);
  }

  dtmf(startMs: number, endMs: number): void {
    this.#mutes.push({ startMs, endMs, reason: 'dtmf' });
  }

  /** Input ended and every analysis that will come has come: release everything, muting what is unsettled. */
  flush(): void {
    this.#drain(true);
  }

  #drain(all: boolean): void {
    while (this.#held.length) {
      const h = this.#held[0];
      const t1 = h.t0 + (h.samples.length * 1000) / h.rate;
      const recognised = h.s1 <= this.#doneSec + 1e-6;
      const waiting = [...this.#pending.values()].filter((p) => p.startMs < t1 && p.endMs > h.t0);
      const settled = recognised && waiting.length === 0;
      const overdue = this.#inSec - h.s1 >= this.holdSec;
      if (!settled && !overdue && !all) return;
      this.#held.shift();
      this.heldSamples -= h.samples.length;
      const spans: MutedSpan[] = this.#mutes.filter((m) => m.startMs < t1 && m.endMs > h.t0);
      if (!recognised || h.lost) spans.push({ startMs: h.t0, endMs: t1, reason: 'unanalysed' });
      else for (const p of waiting) spans.push({ ...p, reason: 'unanalysed' });
      this.#emit(h, t1, spans);
    }
  }

  #emit(h: Held, t1: number, spans: MutedSpan[]): void {
    if (this.#nextT === undefined) this.offsetMs = this.#nextT = h.t0;
    const gap = h.t0 - this.#nextT;
    if (gap > RESYNC_MS && gap <= GAP_FILL_MAX_MS) this.#write(new Int16Array(Math.round((gap * h.rate) / 1000)), h.rate);
    let samples = h.samples;
    if (spans.length) {
      samples = Int16Array.from(samples);
      for (const m of spans) {
        const a = Math.max(0, Math.floor(((m.startMs - h.t0) * h.rate) / 1000));
        const b = Math.min(samples.length, Math.ceil(((m.endMs - h.t0) * h.rate) / 1000));
        if (b > a) {
          samples.fill(0, a, b);
          this.#note(h.t0 + (a * 1000) / h.rate, h.t0 + (b * 1000) / h.rate, m.reason);
        }
      }
    }
    this.#write(samples, h.rate);
    this.#nextT = t1;
  }

  #write(samples: Int16Array, rate: number): void {
    this.samplesOut += samples.length;
    this.out({ samples, rate });
  }

  #note(startMs: number, endMs: number, reason: MuteReason): void {
    const s = Math.round(startMs);
    const e = Math.round(endMs);
    const last = this.muted.findLast((m) => m.reason === reason);
    if (last && s <= last.endMs + 1 && e >= last.startMs) {
      last.startMs = Math.min(last.startMs, s);
      last.endMs = Math.max(last.endMs, e);
    } else this.muted.push({ startMs: s, endMs: e, reason });
  }
}
