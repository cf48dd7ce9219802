import { EventEmitter } from 'node:events';
import type { Alarm, AudioChunk, CallEvent, CallInfo, CallState, EndReason, LegInfo, LegStats, PartialUtterance, Transcript, Utterance } from './types.js';

/**
 * The typed events stages exchange. Stages subscribe to what they need and never
 * reach into each other's internals; main.ts wires them.
 */
export interface PipelineEvents {
  'call.started': [CallInfo];
  'call.updated': [CallInfo];
  'leg.added': [LegInfo];
  'leg.ended': [LegInfo];
  /** Hot path: one per audio frame per leg. */
  'leg.audio': [AudioChunk];
  /** Network/level stats of a leg, sent periodically and at leg end. */
  'leg.stats': [{ callId: string; legId: string; stats: LegStats }];
  /** Raw recogniser output: only analysis listens (it redacts). Never store, log or send it. */
  'transcript': [Transcript];
  /** Redacted partial for the live console. */
  'partial': [PartialUtterance];
  /** Analysis of a final is done: the leg-ms spans whose audio must be muted (redacted numbers). Timing only, no text. */
  'utterance.muted': [{ callId: string; legId: string; seq: number; spans: { startMs: number; endMs: number }[] }];
  /** Input seconds of a leg fully through VAD and recognition (everything before an open segment). */
  'leg.progress': [{ legId: string; doneSec: number }];
  /** Redacted, analysed final utterance. */
  'utterance': [Utterance];
  /** Categories hit, DTMF entered (never the digits), hold/resume, VAD speech segments ('speech'), shedding... */
  'call.event': [CallEvent];
  'alarm': [Alarm];
  'alarm.updated': [Alarm];
  'call.ended': [{ callId: string; state: CallState; endedAt: number; reason?: EndReason }];
}

export type EventName = keyof PipelineEvents;

export class PipelineBus {
  readonly #ee = new EventEmitter({ captureRejections: false });

  constructor() {
    // Many consumers (store, analysis, kpi, web, metrics) per event is normal.
    this.#ee.setMaxListeners(100);
  }

  on<E extends EventName>(event: E, fn: (...args: PipelineEvents[E]) => void): () => void {
    this.#ee.on(event, fn as (...a: unknown[]) => void);
    return () => this.#ee.off(event, fn as (...a: unknown[]) => void);
  }

  /**
   * Emits to every listener. A listener that throws is reported through `onListenerError`
   * and does not stop the others: one broken stage must not take the call down.
   */
  emit<E extends EventName>(event: E, ...args: PipelineEvents[E]): void {
    for (const fn of this.#ee.listeners(event)) {
      try {
        (fn as (...a: unknown[]) => void)(...args);
      } catch (err) {
        this.onListenerError(event, err);
      }
    }
  }

  onListenerError: (event: EventName, err: unknown) => void = () => {};
}
