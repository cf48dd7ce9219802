// Messages between the speech stage (main thread) and its recognition workers. Audio is moved
// (transferred), never copied twice; nothing here is logged (transcripts are raw text).
import type { LevelSnapshot } from './levels.js';
import type { LegTranscript, TranscriptTiming } from './leg-pipeline.js';
import type { EngineSpec } from './engines/index.js';
import type { SegmenterConfig } from './vad.js';

export interface WorkerInit {
  engine: EngineSpec;
  vad: SegmenterConfig;
}

export type ToWorker =
  | { t: 'open'; legId: string }
  | { t: 'audio'; legId: string; samples: Int16Array; rate: number; tMs: number }
  | { t: 'end'; legId: string; id: number }
  | { t: 'close' }
  /** Simulated crash (tests, ops): the worker exits once its queue is idle. */
  | { t: 'crash' };

export type FromWorker =
  | { t: 'ready'; engine: EngineSpec['kind']; detail: string }
  | { t: 'fatal'; code: string; message: string }
  /** `timing`: engine time per segment (finals) and audio arrival (partials), for RTF and latency. */
  | { t: 'tr'; legId: string; tr: LegTranscript; timing?: TranscriptTiming }
  | { t: 'speech'; legId: string; startMs: number; endMs: number; seq: number }
  | { t: 'stats'; legId: string; stats: LevelSnapshot }
  | { t: 'err'; legId: string; code: string; message: string }
  /** [legId, vadSec, doneSec] for legs that moved since the last report. */
  | { t: 'progress'; legs: Array<[string, number, number]> }
  | { t: 'ended'; id: number }
  | { t: 'closed' };
