import { setImmediate as yieldLoop, setTimeout as sleep } from 'node:timers/promises';
import type { PipelineBus } from '../../call/events.js';
import type { LegInfo } from '../../call/types.js';

/** Next block of up to `maxSamples` per channel, one array per leg (equal lengths); undefined at the end. */
export type BlockReader = (maxSamples: number) => Promise<Int16Array[] | undefined>;

export interface PumpOptions {
  realtime: boolean;
  /** Wait while the recogniser has more than this much audio queued (nothing is dropped). */
  maxPendingSeconds: number;
  pendingSeconds(): number;
  totalMs: number;
  onProgress?: (doneMs: number, totalMs: number) => void;
  /** Called about every `checkpointMs` of audio so a crash can be detected and redone. */
  onCheckpoint?: (doneMs: number) => void;
  checkpointMs?: number;
  signal?: AbortSignal;
}

const FRAME_MS = 20;
const BLOCK_FRAMES = 50; // read and decode one second at a time

/**
 * Streams blocks to `leg.audio` in 20 ms frames, one leg per channel. `tMs` is computed from
 * the sample index (not accumulated) so it never drifts, whatever the sample rate.
 */
export async function pumpFrames(bus: PipelineBus, read: BlockReader, sampleRate: number, legs: LegInfo[], opts: PumpOptions): Promise<number> {
  const frameSamples = Math.max(1, Math.round((sampleRate * FRAME_MS) / 1000));
  const t0 = Date.now();
  const checkpointMs = opts.checkpointMs ?? 5000;
  let lastCheckpoint = 0;
  let sample = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const chans = await read(frameSamples * BLOCK_FRAMES);
    if (!chans || chans[0].length === 0) break;
    const len = chans[0].length;
    for (let off = 0; off < len; off += frameSamples) {
      const end = Math.min(len, off + frameSamples);
      const tMs = ((sample + off) * 1000) / sampleRate;
      if (opts.realtime) {
        const wait = t0 + tMs - Date.now();
        if (wait > 0) await sleep(wait, undefined, { signal: opts.signal });
      }
      for (let c = 0; c < legs.length; c++) {
        bus.emit('leg.audio', { legId: legs[c].legId, samples: chans[c].subarray(off, end), sampleRate, tMs });
      }
    }
    sample += len;
    const doneMs = (sample * 1000) / sampleRate;
    opts.onProgress?.(doneMs, opts.totalMs);
    if (doneMs - lastCheckpoint >= checkpointMs) {
      lastCheckpoint = doneMs;
      opts.onCheckpoint?.(doneMs);
    }
    if (!opts.realtime) await backpressure(opts);
  }
  return (sample * 1000) / sampleRate;
}

async function backpressure(opts: PumpOptions): Promise<void> {
  // Faster than real time, but never faster than recognition: the speech stage sheds audio
  // for live calls when it falls behind, and an import must not make it do so.
  while (opts.pendingSeconds() > opts.maxPendingSeconds) await sleep(25, undefined, { signal: opts.signal });
  await yieldLoop(); // let sockets, timers and the store's tick run between seconds of audio
}

/** Blocks from in-memory per-leg arrays (captures); shorter legs are padded with silence. */
export function memoryReader(chans: Int16Array[]): BlockReader {
  const total = Math.max(...chans.map((c) => c.length));
  let pos = 0;
  return async (max) => {
    if (pos >= total) return undefined;
    const n = Math.min(max, total - pos);
    const out = chans.map((c) => {
      const block = new Int16Array(n);
      if (pos < c.length) block.set(c.subarray(pos, Math.min(c.length, pos + n)));
      return block;
    });
    pos += n;
    return out;
  };
}
