import type { Logger } from 'pino';
import type { PipelineBus } from '../../call/events.js';
import type { CallRegistry } from '../../call/registry.js';
import type { LegStats, Role } from '../../call/types.js';
import type { ImportLedger } from './ledger.js';
import { type BlockReader, pumpFrames } from './pump.js';

/** The part of the speech stage an import needs: back-pressure and end-of-leg flushing. */
export interface SpeechPort {
  pendingSeconds(): number;
  /** Ends the leg's input and resolves once its last final transcript has been emitted. */
  legDone(legId: string): Promise<void>;
}

export interface RunDeps {
  log: Logger;
  bus: PipelineBus;
  calls: CallRegistry;
  speech: SpeechPort;
  imports: ImportLedger;
}

export interface RunSpec {
  key: string;
  fileName: string;
  legs: { role: Role; label: string; codec: string }[];
  sampleRate: number;
  totalMs: number;
  /** When the call really started (captures know); else back-dated from now. */
  startedAt?: number;
  /** Per-leg network statistics (captures), sent as `leg.stats` once the audio is through. */
  legStats?: LegStats[];
  /** Key presses found in the recording (never the digits): leg index and call time. */
  dtmf?: { leg: number; tMs: number }[];
}

/**
 * Default back-pressure threshold. The speech stage flags a leg "behind real time" past
 * speech.maxQueueSeconds (default 10 s) of backlog and sheds audio past 3x that: an import must stay
 * under the first so it neither sheds nor stores spurious behind-realtime events. Pass
 * `maxPendingSeconds` (e.g. 0.8 x speech.maxQueueSeconds) when that setting is changed.
 */
export const DEFAULT_MAX_PENDING_S = 8;

export interface RunOptions {
  realtime?: boolean;
  onProgress?: (doneMs: number, totalMs: number) => void;
  signal?: AbortSignal;
  /** Wait while the recogniser has more than this many seconds queued. Default DEFAULT_MAX_PENDING_S. */
  maxPendingSeconds?: number;
  /** Who the call is with, as a live source would say (the demo's agents, queues and callers). */
  party?: { agentId?: string; queue?: string; callerId?: string };
}

/**
 * One recorded call through the pipeline, idempotently: a key the ledger has as `done` returns
 * that call (`duplicate: true`); one left `running` or `failed` (crash, abort) is redone from the
 * start after `ledger.discard` removed the partial call, because recognition cannot resume
 * mid-file and a clean redo is the only result that is certainly right.
 */
export async function runImport(deps: RunDeps, spec: RunSpec, read: () => BlockReader, opts: RunOptions): Promise<{ callId: string; duplicate: boolean }> {
  const { log, bus, calls, speech, imports } = deps;
  const { key, totalMs } = spec;
  const live = calls.byExternal('import', key);
  if (live) return { callId: live.info.callId, duplicate: true };
  const prior = imports.find(key);
  if (prior?.state === 'done' && prior.callId) return { callId: prior.callId, duplicate: true };
  // File names are not logged: they often carry phone numbers or names.
  const clog = log.child({ importKey: key.slice(0, 12) });
  if (prior) clog.info({ state: prior.state, progressMs: prior.progressMs }, 'redoing an unfinished import from the start');
  imports.discard(key);

  const realtime = opts.realtime === true;
  // Back-date the start so the stored duration is the recording's, not the import's.
  const startedAt = spec.startedAt ?? (realtime ? Date.now() : Date.now() - Math.round(totalMs));
  const call = calls.open({ ingest: 'import', externalId: key, startedAt, ...opts.party });
  const callId = call.info.callId;
  const legs = spec.legs.map((l) => calls.addLeg(callId, l));
  try {
    imports.start(key, spec.fileName, callId);
    clog.info({ callId, legs: legs.length, sampleRate: spec.sampleRate, totalMs: Math.round(totalMs) }, 'import started');
    await pumpFrames(bus, read(), spec.sampleRate, legs, {
      realtime,
      totalMs,
      maxPendingSeconds: opts.maxPendingSeconds ?? DEFAULT_MAX_PENDING_S,
      pendingSeconds: () => speech.pendingSeconds(),
      onProgress: opts.onProgress,
      onCheckpoint: (ms) => imports.progress(key, Math.round(ms)),
      signal: opts.signal,
    });
    spec.legStats?.forEach((stats, i) => legs[i] && bus.emit('leg.stats', { callId, legId: legs[i].legId, stats }));
    for (const k of spec.dtmf ?? []) if (legs[k.leg]) bus.emit('call.event', { callId, legId: legs[k.leg].legId, kind: 'dtmf', tMs: k.tMs });
    // Final transcripts must reach analysis while the call is still open.
    await Promise.all(legs.map((l) => speech.legDone(l.legId)));
  } catch (err) {
    calls.close(callId, 'interrupted');
    try {
      imports.finish(key, false, errorCode(err));
    } catch (ledgerErr) {
      clog.error({ err: ledgerErr }, 'could not record the failed import'); // the original error matters more
    }
    clog.warn({ callId, err: errorCode(err) }, 'import failed');
    throw err;
  }
  imports.progress(key, Math.round(totalMs));
  imports.finish(key, true);
  calls.close(callId, 'ended', realtime && spec.startedAt === undefined ? Date.now() : startedAt + Math.round(totalMs), 'end-of-file');
  clog.info({ callId }, 'import done');
  return { callId, duplicate: false };
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown };
  return typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'error';
}
