// A small mutation fuzzer: seeded PRNG, byte- and token-level mutations stacked over a seed
// corpus, and a runner that sorts every thrown error into "clean rejection" (the parser's own
// coded error) or "crash" (anything else: TypeError, RangeError, a foreign error escaping).
// Shared by the CI pass (test/fuzz/*.test.ts) and the long run (bench/fuzz.ts).
import { mulberry32 } from '../../src/random.js';

export interface Target {
  name: string;
  seeds: Buffer[];
  /** Runs one input. Throwing an error that `expected` accepts is a clean rejection. */
  run(input: Buffer): void | Promise<void>;
  /** Defaults to `isCoded`: an `EARSHOT_ERR_*` code. */
  expected?(err: unknown): boolean;
  /** Inputs are cut to this many bytes (default 8 KiB). */
  maxLen?: number;
  /** Extra tokens this format is made of, spliced in by the token mutation. */
  tokens?: string[];
}

export interface Crash {
  target: string;
  input: Buffer;
  error: string;
}

export interface Outcome {
  target: string;
  inputs: number;
  rejected: number;
  /** The first crashes (with inputs); `crashCount` counts them all. */
  crashes: Crash[];
  crashCount: number;
  /** The slowest single input, ms: a parser that goes quadratic shows here. */
  slowestMs: number;
  ms: number;
}

export const rng = mulberry32;

export const isCoded = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('EARSHOT_ERR_');
};

const COMMON_TOKENS = [
  '\r\n', '\n', '\r\n\r\n', ' ', ';', ':', '=', ',', '"', "'", '<', '>', '/', '--', '{', '}', '[', ']', '\0',
  '0', '-1', '65536', '4294967296', '99999999999999999999', 'NaN', '1e400', '%00', '\u00ff', '\ud800', '😀',
];
const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x40, 0x20];

/** One to four stacked mutations of a seed (sometimes spliced with another seed). */
export function mutate(r: () => number, seeds: Buffer[], maxLen: number, tokens: string[]): Buffer {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (n: number) => Math.floor(r() * n);
  let b = Buffer.from(pick(seeds));
  const rounds = 1 + int(4);
  for (let k = 0; k < rounds; k++) {
    const at = int(b.length + 1);
    switch (int(10)) {
      case 0: // bit flip
        if (b.length) b[int(b.length)] ^= 1 << int(8);
        break;
      case 1: // interesting byte
        if (b.length) b[int(b.length)] = pick(INTERESTING);
        break;
      case 2: { // random bytes inserted
        const ins = Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256)));
        b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
        break;
      }
      case 3: { // delete a range
        const len = 1 + int(Math.max(1, Math.min(64, b.length - at)));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
        break;
      }
      case 4: { // duplicate a range (repeats are how parsers meet huge counts)
        const len = 1 + int(32);
        const piece = b.subarray(at, at + len);
        const times = 1 + int(r() < 0.1 ? 200 : 4);
        b = Buffer.concat([b.subarray(0, at), ...Array.from({ length: times }, () => piece), b.subarray(at)]);
        break;
      }
      case 5: // truncate
        b = b.subarray(0, at);
        break;
      case 6: { // splice with another seed
        const o = pick(seeds);
        const from = int(o.length + 1);
        b = Buffer.concat([b.subarray(0, at), o.subarray(from)]);
        break;
      }
      case 7: // 16/32-bit word set to an edge value
        if (b.length >= 4) {
          const o = int(b.length - 3);
          const v = pick([0, 0xffffffff, 0x7fffffff, 0x80000000, 0xffff, 1, b.length]);
          if (r() < 0.5) b.writeUInt32BE(v >>> 0, o);
          else b.writeUInt32LE(v >>> 0, o);
        }
        break;
      default: { // token splice (text formats)
        const tok = Buffer.from(pick(r() < 0.5 && tokens.length ? tokens : COMMON_TOKENS));
        const replace = r() < 0.5 ? int(8) : 0;
        b = Buffer.concat([b.subarray(0, at), tok, b.subarray(at + replace)]);
      }
    }
  }
  return b.length > maxLen ? b.subarray(0, maxLen) : b;
}

/**
 * Feeds `count` inputs (every seed once first, then mutations) to a target. Never throws: a crash
 * is recorded with its input so it can become a regression test.
 */
export async function fuzz(t: Target, count: number, seed = 1, maxCrashes = 20): Promise<Outcome> {
  const r = rng(seed);
  const expected = t.expected ?? isCoded;
  const maxLen = t.maxLen ?? 8192;
  const out: Outcome = { target: t.name, inputs: 0, rejected: 0, crashes: [], crashCount: 0, slowestMs: 0, ms: 0 };
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const input = i < t.seeds.length ? t.seeds[i] : mutate(r, t.seeds, maxLen, t.tokens ?? []);
    const t0 = performance.now();
    try {
      const p = t.run(input);
      if (p) await p;
    } catch (err) {
      if (expected(err)) out.rejected++;
      else {
        out.crashCount++;
        // The first few are enough to reproduce; keep counting the rest.
        if (out.crashes.length < maxCrashes) out.crashes.push({ target: t.name, input, error: describe(err) });
      }
    }
    const dt = performance.now() - t0;
    if (dt > out.slowestMs) out.slowestMs = dt;
    out.inputs++;
  }
  out.ms = performance.now() - started;
  return out;
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const at = err.stack?.split('\n').find((l) => l.includes('/src/'))?.trim() ?? '';
    return `${err.name}: ${err.message.slice(0, 200)} ${at}`;
  }
  return `non-error thrown: ${String(err).slice(0, 200)}`;
}
