// Recognition worker pool (main thread side): assigns legs to workers, tracks each leg's progress
// from the workers' reports, restarts a worker that dies and tells the stage which legs it carried.
import { Worker } from 'node:worker_threads';
import type { LevelSnapshot } from './levels.js';
import type { LegTranscript, TranscriptTiming } from './leg-pipeline.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

// A slot whose workers die MAX_CRASHES times within CRASH_WINDOW_MS is retired, whether they died
// loading or later (a leg's audio that crashes the engine each time must not restart it for ever).
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 10 * 60_000;
const CLOSE_TIMEOUT_MS = 10000;

export interface PoolEvents {
  transcript(legId: string, tr: LegTranscript, timing?: TranscriptTiming): void;
  speech(legId: string, startMs: number, endMs: number, seq: number): void;
  stats(legId: string, stats: LevelSnapshot): void;
  legError(legId: string, code: string): void;
  /** A worker died; these legs lost their in-flight audio and were re-opened on its replacement. */
  restarted(legIds: string[], exitCode: number): void;
  /** A slot's workers kept dying and it is not restarted again; its legs moved to the others. */
  retired?(index: number, deaths: number): void;
  /** A leg's recognised-through point moved (input seconds). */
  progress?(legId: string, doneSec: number): void;
}

export interface PoolOptions {
  /** ms clock for the crash window (tests inject one). */
  now?: () => number;
}

export interface LegState {
  slot: Slot;
  sentSec: number;
  vadSec: number;
  doneSec: number;
  /** Progress counters are relative to this much audio sent before the last worker restart. */
  ends: Map<number, () => void>;
}

interface Slot {
  index: number;
  worker: Worker;
  legs: Set<string>;
  ready: Promise<{ engine: 'pocketsphinx' | 'sherpa'; detail: string }>;
  /** When this slot's earlier workers died (ms, the pool's clock), within the crash window. */
  deaths: number[];
  exited: boolean;
  /** Init failed (engine did not load): not restarted, the stage falls back or reports. */
  failed: boolean;
}

export interface WorkerPool {
  readonly size: number;
  /** Resolves when every worker has loaded its engine; rejects with the first init failure. */
  ready(): Promise<{ engine: 'pocketsphinx' | 'sherpa'; detail: string }>;
  open(legId: string): void;
  /** false when the leg is not open. */
  audio(legId: string, samples: Int16Array, rate: number, tMs: number): boolean;
  end(legId: string): Promise<void>;
  leg(legId: string): Readonly<LegState> | undefined;
  legIds(): string[];
  /** Grows whenever any worker reports work done (progress, a transcript, a leg ended). */
  beats(): number;
  /** Makes a worker exit as a crash would (between jobs; tests, ops); the pool restarts it. */
  killWorker(index: number): Promise<void>;
  /** Workers running or being restarted (not retired, not failed to load). */
  readonly alive: number;
  close(): Promise<void>;
}

function workerUrl(): URL {
  // Under a TypeScript loader (tap) this module is .ts and so is its worker.
  return new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
}

export function createWorkerPool(size: number, init: WorkerInit, ev: PoolEvents, opts: PoolOptions = {}): WorkerPool {
  const now = opts.now ?? Date.now;
  const legs = new Map<string, LegState>();
  const slots: Slot[] = [];
  let endSeq = 0;
  let beats = 0;
  let closing = false;

  function spawn(index: number, deaths: number[]): Slot {
    const worker = new Worker(workerUrl(), { workerData: init });
    let settle!: { ok: (v: { engine: 'pocketsphinx' | 'sherpa'; detail: string }) => void; fail: (e: Error) => void };
    const ready = new Promise<{ engine: 'pocketsphinx' | 'sherpa'; detail: string }>((ok, fail) => (settle = { ok, fail }));
    ready.catch(() => {});
    const slot: Slot = { index, worker, legs: new Set(), ready, deaths, exited: false, failed: false };
    worker.on('message', (m: FromWorker) => onMessage(slot, m, settle));
    worker.on('error', () => {}); // the exit that follows does the recovery
    worker.on('exit', (code) => onExit(slot, code, settle.fail));
    return slot;
  }

  function onMessage(slot: Slot, m: FromWorker, settle: { ok: (v: { engine: 'pocketsphinx' | 'sherpa'; detail: string }) => void; fail: (e: Error) => void }): void {
    if (m.t === 'progress' || m.t === 'tr' || m.t === 'ended') beats++;
    switch (m.t) {
      case 'ready':
        // Not a reset of the crash count: a worker that loads and then dies on every call is the
        // restart loop the window exists to stop.
        settle.ok({ engine: m.engine, detail: m.detail });
        break;
      case 'fatal':
        slot.failed = true;
        settle.fail(Object.assign(new Error(m.message), { code: m.code }));
        break;
      case 'tr':
        ev.transcript(m.legId, m.tr, m.timing);
        break;
      case 'speech':
        ev.speech(m.legId, m.startMs, m.endMs, m.seq);
        break;
      case 'stats':
        ev.stats(m.legId, m.stats);
        break;
      case 'err':
        ev.legError(m.legId, m.code);
        break;
      case 'progress':
        for (const [legId, vadSec, doneSec] of m.legs) {
          const leg = legs.get(legId);
          if (leg && leg.slot === slot) {
            leg.vadSec = vadSec;
            leg.doneSec = doneSec;
            ev.progress?.(legId, doneSec);
          }
        }
        break;
      case 'ended':
        for (const [legId, leg] of legs) {
          const done = leg.ends.get(m.id);
          if (!done) continue;
          leg.ends.delete(m.id);
          legs.delete(legId);
          slot.legs.delete(legId);
          done();
        }
        break;
      case 'closed':
        break;
    }
  }

  function usable(): Slot[] {
    return slots.filter((x) => !x.exited && !x.failed);
  }

  function onExit(slot: Slot, code: number, fail: (e: Error) => void): void {
    slot.exited = true;
    fail(Object.assign(new Error(`speech worker exited (${code}) before it was ready`), { code: 'EARSHOT_ERR_ASR_WORKER' }));
    if (closing || slot.failed || slots[slot.index] !== slot) return;
    const lost = [...slot.legs];
    // Restart in place; a slot whose workers keep dying is retired and its legs move to the
    // others, so a poison input or a broken model cannot spin a restart loop.
    const t = now();
    const deaths = [...slot.deaths.filter((d) => t - d < CRASH_WINDOW_MS), t];
    let target: Slot | undefined;
    if (deaths.length < MAX_CRASHES) {
      target = spawn(slot.index, deaths);
      slots[slot.index] = target;
    } else {
      slot.failed = true;
      target = usable().sort((x, y) => x.legs.size - y.legs.size)[0];
      ev.retired?.(slot.index, deaths.length);
    }
    for (const legId of lost) {
      const leg = legs.get(legId);
      if (!leg) continue;
      if (leg.ends.size || !target) {
        // Ending legs are as done as they will get; without any worker a leg cannot go on.
        for (const done of leg.ends.values()) done();
        legs.delete(legId);
        continue;
      }
      // What was in flight is gone; the replacement starts the leg afresh from the next frame.
      leg.slot = target;
      leg.sentSec = leg.vadSec = leg.doneSec = 0;
      target.legs.add(legId);
      post(target, { t: 'open', legId });
    }
    ev.restarted(lost, code);
  }

  function post(slot: Slot, m: ToWorker, transfer?: ArrayBuffer[]): void {
    slot.worker.postMessage(m, transfer);
  }

  for (let i = 0; i < size; i++) slots.push(spawn(i, []));

  return {
    size,
    beats: () => beats,
    get alive() {
      return usable().length;
    },
    ready: async () => {
      const all = await Promise.all(slots.map((s) => s.ready));
      return all[0];
    },
    open(legId) {
      const live = usable();
      if (legs.has(legId) || closing || !live.length) return;
      const slot = live.reduce((a, b) => (b.legs.size < a.legs.size ? b : a));
      legs.set(legId, { slot, sentSec: 0, vadSec: 0, doneSec: 0, ends: new Map() });
      slot.legs.add(legId);
      post(slot, { t: 'open', legId });
    },
    audio(legId, samples, rate, tMs) {
      const leg = legs.get(legId);
      if (!leg || closing) return false;
      // Copy into a buffer of our own before transferring: the caller's may be a shared pool.
      const copy = samples.slice();
      leg.sentSec += samples.length / rate;
      post(leg.slot, { t: 'audio', legId, samples: copy, rate, tMs }, [copy.buffer as ArrayBuffer]);
      return true;
    },
    end(legId) {
      const leg = legs.get(legId);
      if (!leg) return Promise.resolve();
      const id = ++endSeq;
      return new Promise<void>((resolve) => {
        leg.ends.set(id, resolve);
        post(leg.slot, { t: 'end', legId, id });
      });
    },
    leg: (legId) => legs.get(legId),
    legIds: () => [...legs.keys()],
    async killWorker(index) {
      const slot = slots[index];
      if (!slot || slot.exited) return;
      const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
      post(slot, { t: 'crash' });
      await exited;
    },
    async close() {
      if (closing) return;
      closing = true;
      for (const leg of legs.values()) for (const done of leg.ends.values()) done();
      legs.clear();
      await Promise.all(
        slots.filter((s) => !s.exited).map(
          (s) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => void s.worker.terminate(), CLOSE_TIMEOUT_MS);
              s.worker.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              s.worker.postMessage({ t: 'close' } satisfies ToWorker);
            }),
        ),
      );
    },
  };
}
