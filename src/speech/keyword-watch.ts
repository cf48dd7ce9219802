// Keyword watch: when a leg's full transcription is shed (recognition far behind real time), its
// audio goes to a cheap keyphrase spotter instead of being dropped, so the alarms that hang on a
// few words ("speak to your supervisor", "cancel my account") still fire. Hits come back as short
// final transcripts through the same `transcript` event, in their own seq range, and are marked on
// the call ('keyword' events; 'keyword-watch' start/end per leg).
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { FromKeywordWorker, KeywordWorkerInit, ToKeywordWorker } from './keyword-worker.js';

/** Keyword hits are numbered from here on each leg, apart from the recogniser's own seqs. */
export const KEYWORD_SEQ_BASE = 1_000_000_000;

export interface KeywordHit {
  legId: string;
  phrase: string;
  startMs: number;
  endMs: number;
}

export interface KeywordWatch {
  /** Resolves once the spotter is loaded (true) or could not be (false; the reason is logged). */
  readonly ready: Promise<boolean>;
  /** Legs being watched now. */
  legs(): number;
  /** Seconds sent and not yet spotted, over all legs (bounds the spotter's own queue). */
  pendingSeconds(): number;
  /** Hands shed audio over; false when the watch cannot take it (off, full, or too far behind). */
  audio(legId: string, samples: Int16Array, rate: number, tMs: number): boolean;
  /** Resolves when everything handed over has been spotted (tests, drain at shutdown). */
  idle(): Promise<void>;
  /** The leg caught up (or ended): stop watching it. */
  stop(legId: string): void;
  close(): Promise<void>;
}

export interface KeywordWatchOptions extends KeywordWorkerInit {
  maxLegs: number;
  /** Spotter backlog, seconds, beyond which shed audio is dropped after all. */
  maxQueueSeconds: number;
}

function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './keyword-worker.ts' : './keyword-worker.js', import.meta.url);
}

export function createKeywordWatch(opts: KeywordWatchOptions, log: Logger, onHit: (hit: KeywordHit) => void): KeywordWatch {
  const watched = new Set<string>();
  let sent = 0;
  let done = 0;
  let up = false;
  let waiters: Array<() => void> = [];
  const wake = () => {
    if (up && sent - done > 1e-6) return;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const worker = new Worker(workerUrl(), {
    workerData: { hmm: opts.hmm, dict: opts.dict, phrasesFile: opts.phrasesFile, threshold: opts.threshold } satisfies KeywordWorkerInit,
  });
  const post = (m: ToKeywordWorker, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer);
  let settle!: (ok: boolean) => void;
  const ready = new Promise<boolean>((resolve) => (settle = resolve));
  worker.on('message', (m: FromKeywordWorker) => {
    switch (m.t) {
      case 'ready':
        up = true;
        for (const s of m.skipped) log.warn({ line: s.line, reason: s.reason }, 'speech: keyword watch phrase skipped');
        log.info({ phrases: m.phrases }, 'speech: keyword watch ready');
        settle(true);
        break;
      case 'fatal':
        log.error({ code: m.code, detail: m.message }, 'speech: keyword watch could not start; shed audio is dropped');
        settle(false);
        break;
      case 'hit':
        // Also after stop(): the audio it was found in was sent while the leg was watched.
        onHit({ legId: m.legId, phrase: m.phrase, startMs: m.startMs, endMs: m.endMs });
        break;
      case 'progress':
        done = m.sec;
        wake();
        break;
      case 'err':
        log.warn({ code: m.code }, 'speech: keyword watch failed on a leg; it is reset');
        break;
    }
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'speech: keyword watch worker failed'));
  worker.on('exit', () => {
    if (up) log.warn('speech: keyword watch worker stopped');
    up = false;
    watched.clear();
    settle(false);
    wake();
  });

  return {
    ready,
    legs: () => watched.size,
    pendingSeconds: () => (up ? Math.max(0, sent - done) : 0),
    audio(legId, samples, rate, tMs) {
      if (!up) return false;
      if (!watched.has(legId) && watched.size >= opts.maxLegs) return false;
      if (sent - done > opts.maxQueueSeconds) return false;
      watched.add(legId);
      sent += samples.length / rate;
      // A copy: the caller's frame may be a view into a buffer it reuses.
      const copy = samples.slice();
      post({ t: 'audio', legId, samples: copy, rate, tMs }, [copy.buffer as ArrayBuffer]);
      return true;
    },
    idle() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        wake();
      });
    },
    stop(legId) {
      if (!watched.delete(legId)) return;
      if (up) post({ t: 'end', legId });
    },
    async close() {
      watched.clear();
      if (!up) {
        await worker.terminate();
        return;
      }
      up = false;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      post({ t: 'close' });
      await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
      await worker.terminate();
    },
  };
}
