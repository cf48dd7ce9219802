// pocketsphinx engine: one ~105 MB decoder per worker, shared by all of the worker's legs.
// Each segment is decoded whole at its end (full_utt), because the en-us model's batch CMN then
// normalises on the segment itself: streaming decode uses live CMN, whose running mean would carry
// one leg's channel into the next leg's utterance (measured: 8 kHz WER doubled).
// Partials (opt-in, `partialIntervalMs`): every interval of segment audio the segment so far is
// decoded the same whole way, between other jobs on the shared decoder; the final is still the
// full-segment decode, so it is identical with partials on or off. The cost grows with the square
// of the segment length (bench/speech-speed.ts measures it), so a partial is skipped while the
// worker has other jobs waiting.
import { existsSync } from 'node:fs';
import type { AsrEngine, AsrResult, AsrStream } from '../engine.js';
import { EngineError } from '../engine.js';
import { loadAddon, type PsDecoder } from './addon.js';

export interface PocketsphinxConfig {
  hmm: string;
  lm: string;
  dict: string;
  /** Segment audio between partial decodes; 0 (default) = no partials. */
  partialIntervalMs?: number;
  /** Search settings (PROFILES); measured in bench/pocketsphinx-profiles.ts, table in BENCHMARKS.md. */
  profile?: PocketsphinxProfile;
  /** Extra decoder arguments ("-name", "value", ...), after the profile's; for benches. */
  args?: string[];
}

/**
 * Search settings traded for speed. "accurate" is pocketsphinx's own defaults (two passes:
 * tree search, then flat-lexicon search and a best-path rescoring). The others drop work whose
 * cost and accuracy bench/pocketsphinx-profiles.ts measures on telephone-channel speech.
 */
export const PROFILES = {
  accurate: [],
  // The default. No second (flat-lexicon) pass: the tree search's lattice goes straight to
  // best-path; and at most 6000 active HMMs per frame. Measured through the telephone channel:
  // 1.5-2.0x the legs at real time of `accurate` for +2.8 / +2.6 WER points (tuning / held-out).
  balanced: ['-fwdflat', 'no', '-maxhmmpf', '6000'],
  // Also at most 3000 active HMMs per frame: of the single knobs measured on the tuning set,
  // fwdflat and maxhmmpf bought the most speed per WER point (-ds 2, -topn 2 and tighter beams
  // cost 8-13 points; -pl_window 10 changed nothing).
  fast: ['-fwdflat', 'no', '-maxhmmpf', '3000'],
} as const satisfies Record<string, readonly string[]>;
export type PocketsphinxProfile = keyof typeof PROFILES;

const FILLER = /^(<s>|<\/s>|<sil>|\[.*\]|\+.*\+)$/;
// Both default to on and both keep state from one utterance to the next (noise estimate, silence
// classifier), so with one decoder shared by many legs a result would depend on which leg spoke
// before. Off, decoding is a pure function of the segment; it also scored better here
// (LibriVox via 8 kHz µ-law: 43.7% → 35.2% WER; flite: 12.5% → 10.9%). VAD already trims silence.
const DECODER_ARGS = ['-remove_noise', 'no', '-remove_silence', 'no'];
// ±1 LSB of noise: digital silence (µ-law idle code → exact zeros) has no log energy otherwise.
const DITHER = 1;

export function createPocketsphinxEngine(cfg: PocketsphinxConfig): AsrEngine {
  for (const key of ['hmm', 'lm', 'dict'] as const) {
    const path = cfg[key];
    if (!existsSync(path)) {
      throw new EngineError(
        'EARSHOT_ERR_ASR_MODEL',
        `pocketsphinx ${key} not found at ${path}: install Debian pocketsphinx-en-us or set speech.pocketsphinx.${key}`,
      );
    }
  }
  const profile = cfg.profile ?? 'balanced';
  const args = [...DECODER_ARGS, ...PROFILES[profile], ...(cfg.args ?? [])];
  const decoder: PsDecoder = new (loadAddon().Decoder)({ hmm: cfg.hmm, lm: cfg.lm, dict: cfg.dict, sampleRate: 16000, args });
  const partialEvery = Math.max(0, Math.round(((cfg.partialIntervalMs ?? 0) * 16000) / 1000));

  /** One whole decode of `pcm` (batch CMN on exactly this audio). */
  const decode = (pcm: Int16Array) => {
    decoder.start();
    decoder.process(pcm, true);
    return decoder.end();
  };

  class PsStream implements AsrStream {
    #pcm = new Int16Array(16000 * 4);
    #len = 0;
    #done = false;
    #seed = 1; // per segment, so a segment always decodes the same way
    #partialAt = 0; // #len at the last partial decode

    accept(samples: Float32Array): void {
      if (this.#done) return;
      if (this.#len + samples.length > this.#pcm.length) {
        const next = new Int16Array(Math.max(this.#pcm.length * 2, this.#len + samples.length));
        next.set(this.#pcm.subarray(0, this.#len));
        this.#pcm = next;
      }
      for (let j = 0; j < samples.length; j++) {
        const v = Math.round(samples[j] * 32767 + this.#dither());
        this.#pcm[this.#len + j] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      this.#len += samples.length;
    }

    partial(idle = true): string | null {
      if (this.#done || partialEvery === 0 || this.#len - this.#partialAt < partialEvery || !idle) return null;
      this.#partialAt = this.#len;
      return clean(decode(this.#pcm.subarray(0, this.#len)).text) || null;
    }

    end(): AsrResult {
      if (this.#done) return { text: '', words: [] };
      this.#done = true;
      const r = decode(this.#pcm.subarray(0, this.#len));
      this.#pcm = new Int16Array(0);
      const words = r.words
        .filter((w) => !FILLER.test(w.w))
        .map((w) => ({ w: stripVariant(w.w), startMs: w.sf * 10, endMs: (w.ef + 1) * 10 }));
      return { text: clean(r.text), words };
    }

    cancel(): void {
      this.#done = true;
      this.#pcm = new Int16Array(0);
    }

    /** ±1 LSB of deterministic noise (LCG). */
    #dither(): number {
      this.#seed = (this.#seed * 1103515245 + 12345) % 2147483648;
      return (this.#seed / 1073741824 - 1) * DITHER;
    }
  }

  return {
    name: 'pocketsphinx',
    detail: `pocketsphinx en-us (${cfg.hmm}), profile ${profile}${cfg.args?.length ? ` ${cfg.args.join(' ')}` : ''}${partialEvery ? `, partials every ${cfg.partialIntervalMs} ms` : ''}`,
    start: () => new PsStream(),
    close: () => decoder.free(),
  };
}

function stripVariant(w: string): string {
  return w.replace(/\(\d+\)$/, '');
}

function clean(text: string): string {
  return text
    .split(/\s+/)
    .filter((w) => w && !FILLER.test(w))
    .map(stripVariant)
    .join(' ');
}
