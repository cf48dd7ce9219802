// Shared test helpers: real peers (flite, sox) run as bounded child processes killed by PID in
// teardown, WAV loading, and a word error rate for recognition bounds.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { parseWav, type Wav } from '../../src/speech/wav.js';

export function run(t: Test, cmd: string, args: string[], timeoutMs = 20000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    t.teardown(() => {
      clearTimeout(timer);
      if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} exited ${code}: ${err.slice(0, 300)}`));
    });
  });
}

/** flite (kal16, male: survives the phone channel) speech as a 16 kHz WAV file. */
export async function say(t: Test, text: string, out: string): Promise<void> {
  await run(t, 'flite', ['-voice', 'kal16', '-t', text, '-o', out]);
}

export function loadWav(path: string): Wav {
  return parseWav(readFileSync(path));
}

export function wordErrorRate(ref: string, hyp: string): number {
  const r = ref.toLowerCase().split(/\s+/).filter(Boolean);
  const h = hyp.toLowerCase().split(/\s+/).filter(Boolean);
  const d = Array.from({ length: r.length + 1 }, (_, i) => [i, ...new Array<number>(h.length).fill(0)]);
  for (let j = 1; j <= h.length; j++) d[0][j] = j;
  for (let i = 1; i <= r.length; i++) {
    for (let j = 1; j <= h.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
  }
  return r.length ? d[r.length][h.length] / r.length : h.length ? 1 : 0;
}

/** Frames of `ms` milliseconds, as an ingest would emit them. */
export function* frames(samples: Int16Array, rate: number, ms = 20): Generator<{ samples: Int16Array; tMs: number }> {
  const n = (rate * ms) / 1000;
  for (let off = 0; off < samples.length; off += n) {
    yield { samples: samples.slice(off, off + n), tMs: (off * 1000) / rate };
  }
}

/** First and last ms where 10 ms blocks exceed -40 dBFS: where speech really is in a TTS clip. */
export function activeBounds(samples: Int16Array, rate: number): [number, number] {
  const n = rate / 100;
  let first = -1;
  let last = -1;
  for (let b = 0; b * n < samples.length; b++) {
    let e = 0;
    const blk = samples.subarray(b * n, (b + 1) * n);
    for (const v of blk) e += (v / 32768) ** 2;
    if (10 * Math.log10(e / blk.length + 1e-12) > -40) {
      if (first < 0) first = b;
      last = b;
    }
  }
  return [first * 10, (last + 1) * 10];
}

const roots = new WeakMap<Test, string>();
/** A fresh folder inside the test's testdir (t.testdir() itself is one folder per test, re-created per call). */
export function scratch(t: Test): string {
  let root = roots.get(t);
  if (!root) {
    root = t.testdir();
    roots.set(t, root);
  }
  return mkdtempSync(join(root, 'd-'));
}
