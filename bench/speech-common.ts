// Shared material for the speech benches: reference clips (LibriVox test data, flite call-centre
// sentences), a telephone channel (sox to 8 kHz, then our G.711 µ-law codec), WER (own DP, cross-checked with sclite when present).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav, writeWav } from '../src/speech/wav.js';

export interface Clip {
  id: string;
  ref: string;
  pcm16k: Int16Array;
}

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
export const SENTENCES = [
  'i want to speak to your supervisor',
  'i have been waiting for two weeks and nobody called me back',
  'if you do not fix this today i will cancel my account and move to your competitor',
  'thank you for your help you have been very kind',
  'my internet connection keeps dropping every evening',
  'can you please send me a copy of my last bill',
  'i was charged twice for the same order',
  'the technician never showed up yesterday',
  'i would like to change the address on my account',
  'this is the third time i am calling about the same problem',
  'please transfer me to the billing department',
  'great that solved it thank you so much',
];
/** Male flite voices: they survive the telephone channel (see notes/speech.md). */
export const VOICES = ['kal16', 'awb', 'rms'];

export function librivox(): Clip[] {
  return readFileSync(join(LIBRIVOX, 'transcription'), 'utf8')
    .split('\n')
    .map((l) => /^<s> (.*) <\/s> \((.*)\)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ id: m[2], ref: m[1], pcm16k: parseWav(readFileSync(join(LIBRIVOX, `${m[2]}.wav`))).samples }));
}

export function flite(voices = VOICES): Clip[] {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-'));
  return voices.flatMap((voice) =>
    SENTENCES.map((ref, i) => {
      const out = join(dir, `${voice}-${i}.wav`);
      const r = spawnSync('flite', ['-voice', voice, '-t', ref, '-o', out], { timeout: 30000 });
      if (r.status !== 0) throw new Error('flite failed: is Debian flite installed?');
      const wav = parseWav(readFileSync(out));
      // awb and rms speak at 16 kHz too; anything else would need resampling first.
      if (wav.sampleRate !== 16000) throw new Error(`flite ${voice} gave ${wav.sampleRate} Hz`);
      return { id: `${voice}-${i}`, ref, pcm16k: wav.samples };
    }),
  );
}

// G.711 µ-law (ITU-T), as a telephone network would carry the call.
function mulawEncode(s: number): number {
  const BIAS = 0x84;
  const sign = s < 0 ? 0x80 : 0;
  const x = Math.min(Math.abs(s), 32635) + BIAS;
  let exp = 7;
  for (let mask = 0x4000; (x & mask) === 0 && exp > 0; mask >>= 1) exp--;
  const mant = (x >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

function mulawDecode(u: number): number {
  u = ~u & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** 16 kHz → 8 kHz with sox's band-limiting resampler → G.711 µ-law → back to 8 kHz PCM. */
export function telephone(pcm16k: Int16Array): Int16Array {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-tel-'));
  writeFileSync(join(dir, 'in.wav'), writeWav(pcm16k, 16000));
  // -D: no dither, so the channel is deterministic (dither noise alone moves pocketsphinx's words).
  const r = spawnSync('sox', ['-D', join(dir, 'in.wav'), '-r', '8000', join(dir, 'out.wav')], { timeout: 30000 });
  if (r.status !== 0) throw new Error('sox failed: is Debian sox installed?');
  const pcm8k = parseWav(readFileSync(join(dir, 'out.wav'))).samples;
  return pcm8k.map((s) => mulawDecode(mulawEncode(s)));
}

export function wer(refs: string[], hyps: string[]): { errors: number; words: number; pct: number } {
  let errors = 0;
  let words = 0;
  refs.forEach((ref, i) => {
    const r = ref.split(/\s+/).filter(Boolean);
    const h = (hyps[i] ?? '').split(/\s+/).filter(Boolean);
    let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
    for (let a = 1; a <= r.length; a++) {
      const cur = [a];
      for (let b = 1; b <= h.length; b++) cur[b] = Math.min(prev[b] + 1, cur[b - 1] + 1, prev[b - 1] + (r[a - 1] === h[b - 1] ? 0 : 1));
      prev = cur;
    }
    errors += prev[h.length];
    words += r.length;
  });
  return { errors, words, pct: (100 * errors) / words };
}

/** sclite's WER for the same pairs, or null when sctk is not installed. */
export function sclite(ids: string[], refs: string[], hyps: string[]): number | null {
  const bin = '/usr/lib/sctk/bin/sclite';
  if (!existsSync(bin)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'earshot-sclite-'));
  const trn = (xs: string[]) => xs.map((x, i) => `${x} (${ids[i]})`).join('\n') + '\n';
  writeFileSync(join(dir, 'ref.trn'), trn(refs));
  writeFileSync(join(dir, 'hyp.trn'), trn(hyps));
  const r = spawnSync(bin, ['-r', join(dir, 'ref.trn'), 'trn', '-h', join(dir, 'hyp.trn'), 'trn', '-i', 'rm', '-o', 'sum', 'stdout'], { timeout: 30000 });
  const m = /Sum\/Avg\s*\|\s*\d+\s+\d+\s*\|[^|]*?([\d.]+)\s+[\d.]+\s*\|/.exec(r.stdout?.toString() ?? '');
  const line = (r.stdout?.toString() ?? '').split('\n').find((l) => l.includes('Sum/Avg'));
  if (!line) return m ? Number(m[1]) : null;
  // | Sum/Avg | #Snt #Wrd | Corr Sub Del Ins Err S.Err |
  const nums = line.split('|')[3]?.trim().split(/\s+/).map(Number);
  return nums && nums.length >= 5 ? nums[4] : null;
}

/** Pads with `ms` of silence on both sides: live legs have pauses around speech. */
export function pad(pcm: Int16Array, rate: number, ms = 500): Int16Array {
  const n = (rate * ms) / 1000;
  const out = new Int16Array(pcm.length + 2 * n);
  out.set(pcm, n);
  return out;
}
