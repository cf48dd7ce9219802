// Where in the audio a redacted number was said: from the recogniser's word timings. Used to mute
// stored recordings (privacy.storeAudio), so the spoken digits never reach the disk.
import type { Word } from '../../call/types.js';
import type { RedactionType } from './patterns.js';

/** Redactions whose spoken form is muted in recordings: numbers a card, code or ID can hide in. */
const MUTED: ReadonlySet<RedactionType> = new Set(['CARD', 'CVV', 'ID', 'DIGITS', 'PHONE', 'DOB']);
const NUMBER_WORD =
  /^(?:\d+|zero|oh|o|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|double|triple|[0-9零〇一二三四五六七八九十两幺]+)(?:\(\d+\))?$/iu;
/** Words of one number said with small pauses are one span; padding covers the onsets the timings miss. */
const JOIN_MS = 400;
const PAD_MS = 120;

export interface AudioSpan {
  startMs: number;
  endMs: number;
}

/**
 * Spans (leg ms) to mute for an utterance with these redactions. Without word timings, or when no
 * number word can be found in them, the whole utterance is muted: never too little.
 */
export function mutedSpans(types: readonly RedactionType[], utt: AudioSpan, words: readonly Word[] | undefined): AudioSpan[] {
  if (!types.some((t) => MUTED.has(t))) return [];
  const nums = (words ?? []).filter((w) => NUMBER_WORD.test(w.w.trim()));
  if (nums.length === 0) return [{ startMs: utt.startMs, endMs: utt.endMs }];
  const out: AudioSpan[] = [];
  for (const w of nums) {
    const s = Math.max(utt.startMs, w.startMs - PAD_MS);
    const e = Math.min(utt.endMs, w.endMs + PAD_MS);
    const last = out[out.length - 1];
    if (last && s - last.endMs <= JOIN_MS) last.endMs = Math.max(last.endMs, e);
    else out.push({ startMs: s, endMs: e });
  }
  return out;
}
