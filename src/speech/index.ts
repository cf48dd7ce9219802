// The speech stage: leg audio in (any rate), VAD segments, transcripts and level stats out.
// Recognition runs in a worker pool; this module validates input, paces and reports.
import { FinalLatency } from './final-latency.js';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { PipelineBus } from '../call/events.js';
import type { AudioChunk, LegInfo } from '../call/types.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import { resolveEngine } from './engine-select.js';
import type { EngineName } from './engines/engine.js';
import { clock, type LegTranscript, type TranscriptTiming } from './leg-pipeline.js';
import { createSpeechMetrics } from './metrics.js';
import { createKeywordWatch, KEYWORD_SEQ_BASE, type KeywordHit, type KeywordWatch } from './keyword-watch.js';
import { createWorkerPool, type WorkerPool } from './pool.js';
import { supportedRate } from './resample.js';

export { fetchModel, importModel, listModels, validateModelDir } from './models/index.js';

export interface SpeechReady {
  ok: boolean;
  engine: EngineName;
  detail: string;
  /** sherpa's onnxruntime execution provider (cpu | cuda) when sherpa is the running engine. */
  provider?: string;
  /** Why the configured engine is not the one running (one of the EARSHOT_ERR_MODEL_MISSING, _CORRUPT, _LOAD, _UNSET codes), when it is not. */
  code?: string;
}

export interface SpeechStage {
  ready(): SpeechReady;
  /** Seconds of audio queued but not yet through VAD and recognition, over all legs (import paces itself
   *  on it). A segment still open (speaker mid-sentence) waits for input, so it is not counted. */
  pendingSeconds(): number;
  /** End of input for the leg: resolves when everything received has been recognised and its last final emitted. */
  legDone(legId: string): Promise<void>;
  /**
   * Every leg's `legDone`, for as long as the recogniser keeps making progress: rejects only when
   * no worker has reported any work for `stallMs` (a backlog that is being worked through is
   * waited for, however long; a wedged one is not).
   */
  legsDone(legIds: string[], stallMs: number): Promise<void>;
  /** Per-leg state held (tests, diagnostics): 0 once every leg is done. Optional: remote speech has none here. */
  size?(): { legs: number; seqs: number; latency: number; pool: number };
  close(): Promise<void>;
}

/** `done`, unless `progress()` stops changing for `stallMs` (checked every `stallMs / 4`). */
export function untilDoneOrStalled(done: Promise<unknown>, progress: () => number, stallMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let last = progress();
    let still = 0;
    const every = Math.max(10, stallMs / 4);
    const timer = setInterval(() => {
      const now = progress();
      still = now === last ? still + every : 0;
      last = now;
      if (still >= stallMs) {
        clearInterval(timer);
        reject(Object.assign(new Error(`recognition made no progress for ${Math.round(stallMs / 1000)} s`), { code: 'EARSHOT_ERR_ASR_STALLED' }));
      }
    }, every);
    timer.unref();
    done.then(
      () => (clearInterval(timer), resolve()),
      (err: unknown) => (clearInterval(timer), reject(err)),
    );
  });
}

/** The stage plus operational hooks that main.ts need not wire (tests, diagnostics). */
export interface SpeechStageInternals extends SpeechStage {
  readonly pool: WorkerPool | undefined;
  readonly keywordWatch: KeywordWatch | undefined;
}

interface LegEntry {
  info: LegInfo;
  lastTMs: number;
  behind: boolean;
  shedding: boolean;
  /** Shed audio is going to the keyword watch (this shedding episode). */
  watching: boolean;
  keywordHits: number;
  done?: Promise<void>;
}

const CHECK_MS = 500;
const SHED_FACTOR = 3; // beyond this many maxQueueSeconds of backlog, new audio is dropped (and said so)
// Audio waiting for the keyword spotter, all legs together. It runs ~40x faster than real time, so
// this is only reached when the machine is overloaded beyond even that: then audio is dropped.
const KEYWORD_QUEUE_SECONDS = 120;

export async function createSpeech(
  deps: { config: Config; log: Logger; bus: PipelineBus; metrics: Metrics },
  opts: { manifestsDir?: string } = {},
): Promise<SpeechStageInternals> {
  const { config, bus } = deps;
  const log = deps.log.child({ stage: 'speech' });
  const cfg = config.speech;
  const legs = new Map<string, LegEntry>();
  let pool: WorkerPool | undefined;
  const pendingSeconds = () => {
    let s = 0;
    if (pool) for (const id of pool.legIds()) {
      const l = pool.leg(id);
      // Work still queued for a worker. Audio of a segment that is still open is not counted: it
      // waits for more input, not for CPU, so pacing on it could stall a sender forever.
      if (l) s += Math.max(0, l.sentSec - l.vadSec);
    }
    return s;
  };
  const m = createSpeechMetrics(deps.metrics.registry, pendingSeconds);
  const size = cfg.workers || availableParallelism();

  // Engine choice: the configured one when usable, else pocketsphinx with the reason in ready().
  let state: SpeechReady;
  const choice = await resolveEngine(config, { manifestsDir: opts.manifestsDir });
  const finalLatency = new FinalLatency(); // when the VAD closed each segment awaiting its final
  const seqOf = new Map<string, { offset: number; max: number }>(); // legId -> seq shift after worker restarts
  const events = {
    transcript: (legId: string, tr: LegTranscript, timing?: TranscriptTiming) => {
      const leg = legs.get(legId);
      if (!leg) return;
      // A restarted worker numbers a leg's utterances from scratch: shift them past what was
      // already emitted, or the store's unique (leg, seq) would drop them as repeats.
      const seqs = seqOf.get(legId) ?? { offset: 0, max: 0 };
      seqOf.set(legId, seqs);
      const workerSeq = tr.seq;
      tr = { ...tr, seq: tr.seq + seqs.offset };
      seqs.max = Math.max(seqs.max, tr.seq);
      if (tr.final) {
        m.finals.inc({ engine: state.engine });
        const ms = finalLatency.final(legId, workerSeq, performance.now());
        if (ms !== undefined) m.finalLatency.observe({ engine: state.engine }, ms / 1000);
        if (timing?.engineS !== undefined && timing.audioS) m.rtf.observe({ engine: state.engine }, timing.engineS / timing.audioS);
      } else if (timing?.arrivedAt !== undefined) {
        m.partialLatency.observe({ engine: state.engine }, Math.max(0, clock() - timing.arrivedAt) / 1000);
      }
      bus.emit('transcript', { callId: leg.info.callId, legId, role: leg.info.role, ...tr });
    },
    speech: (legId: string, startMs: number, endMs: number, seq: number) => {
      const leg = legs.get(legId);
      if (!leg) return;
      m.segments.inc();
      finalLatency.closed(legId, seq, performance.now());
      bus.emit('call.event', { callId: leg.info.callId, legId, kind: 'speech', tMs: startMs, data: { startMs, endMs } });
    },
    stats: (legId: string, stats: { levelDb: number; clippedRatio: number }) => {
      const leg = legs.get(legId);
      if (leg) bus.emit('leg.stats', { callId: leg.info.callId, legId, stats });
    },
    retired: (index: number, deaths: number) => {
      log.error({ worker: index, deaths, code: 'EARSHOT_ERR_ASR_WORKER' }, 'speech: recognition worker kept crashing and is retired; its legs moved to the others');
    },
    progress: (legId: string, doneSec: number) => {
      if (legs.has(legId)) bus.emit('leg.progress', { legId, doneSec });
    },
    legError: (_legId: string, code: string) => {
      m.errors.inc({ code });
      log.warn({ code }, 'speech: a leg failed in recognition and was reset');
    },
    restarted: (legIds: string[], exitCode: number) => {
      m.restarts.inc();
      log.warn({ exitCode, legs: legIds.length }, 'speech: recognition worker died and was restarted');
      for (const legId of legIds) {
        const seqs = seqOf.get(legId);
        if (seqs) seqs.offset = seqs.max + 1;
        finalLatency.reset(legId); // the new worker numbers segments from 0
        const leg = legs.get(legId);
        if (!leg) continue;
        bus.emit('call.event', { callId: leg.info.callId, legId, kind: 'asr-restart', tMs: leg.lastTMs, data: { exitCode } });
      }
    },
  };

  async function start(spec: typeof choice.spec): Promise<WorkerPool> {
    const p = createWorkerPool(size, { engine: spec, vad: cfg.vad }, events);
    try {
      await p.ready();
      return p;
    } catch (err) {
      await p.close();
      throw err;
    }
  }

  try {
    pool = await start(choice.spec);
    const what = await pool.ready();
    state = { ok: true, engine: choice.spec.kind, detail: `${choice.note}${choice.note ? '; ' : ''}${what.detail} on ${size} worker(s)` };
    if (choice.spec.kind === 'sherpa') state.provider = choice.spec.provider ?? 'cpu';
    if (choice.code) state.code = choice.code;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (choice.spec.kind === 'sherpa' && choice.fallback) {
      log.warn({ err: reason }, 'speech: sherpa engine failed to load; falling back to pocketsphinx');
      try {
        pool = await start(choice.fallback);
        const code = (err as { code?: unknown }).code;
        state = { ok: true, engine: 'pocketsphinx', code: typeof code === 'string' ? code : 'EARSHOT_ERR_MODEL_LOAD', detail: `sherpa unusable (${reason}); fell back to pocketsphinx on ${size} worker(s)` };
      } catch (err2) {
        state = { ok: false, engine: 'pocketsphinx', detail: err2 instanceof Error ? err2.message : String(err2) };
      }
    } else {
      state = { ok: false, engine: choice.spec.kind, detail: reason };
    }
  }
  // The running engine (and sherpa's provider) as an info gauge; a fallback is counted by its code.
  m.engine.set({ engine: state.engine, provider: state.provider ?? 'none' }, 1);
  if (state.code) m.errors.inc({ code: state.code });
  if (!state.ok) log.error({ detail: state.detail }, 'speech: no recogniser could be started; audio is not transcribed');
  else log.info({ engine: state.engine, workers: size }, 'speech: ready');

  // Keyword watch over shed audio (pocketsphinx kws, its own thread): off when disabled or unloadable.
  let watch: KeywordWatch | undefined;
  const kw = cfg.keywordWatch;
  if (kw.enabled) {
    const w = createKeywordWatch(
      { hmm: cfg.pocketsphinx.hmm, dict: cfg.pocketsphinx.dict, phrasesFile: kw.phrasesFile, threshold: kw.threshold, maxLegs: kw.maxLegs, maxQueueSeconds: Math.max(KEYWORD_QUEUE_SECONDS, cfg.maxQueueSeconds * SHED_FACTOR) },
      log,
      onKeyword,
    );
    if (await w.ready) watch = w;
    else {
      m.errors.inc({ code: 'EARSHOT_ERR_KEYWORD_LIST' });
      await w.close();
    }
  }
  state.detail += watch ? '; keyword watch on shed legs' : kw.enabled ? '; keyword watch unavailable' : '';

  function onKeyword(hit: KeywordHit): void {
    const leg = legs.get(hit.legId);
    if (!leg) return;
    m.keywordHits.inc();
    const seq = KEYWORD_SEQ_BASE + leg.keywordHits++;
    const words = hit.phrase.split(' ');
    const step = (hit.endMs - hit.startMs) / words.length;
    bus.emit('call.event', { callId: leg.info.callId, legId: hit.legId, kind: 'keyword', tMs: hit.startMs, data: { phrase: hit.phrase, seq } });
    bus.emit('transcript', {
      callId: leg.info.callId,
      legId: hit.legId,
      role: leg.info.role,
      seq,
      text: hit.phrase,
      startMs: hit.startMs,
      endMs: hit.endMs,
      final: true,
      words: words.map((w, i) => ({ w, startMs: Math.round(hit.startMs + i * step), endMs: Math.round(hit.startMs + (i + 1) * step) })),
    });
  }

  function unwatch(leg: LegEntry, legId: string): void {
    if (!leg.watching) return;
    leg.watching = false;
    watch?.stop(legId);
    m.keywordLegs.dec();
    bus.emit('call.event', { callId: leg.info.callId, legId, kind: 'keyword-watch', tMs: leg.lastTMs, data: { state: 'end' } });
  }

  function check(leg: LegEntry, legId: string): void {
    const l = pool?.leg(legId);
    if (!l) return;
    const backlog = l.sentSec - l.vadSec;
    if (!leg.behind && backlog > cfg.maxQueueSeconds) {
      leg.behind = true;
      m.behind.inc();
      log.warn({ backlogSec: Math.round(backlog) }, 'speech: leg behind real time');
      bus.emit('call.event', { callId: leg.info.callId, legId, kind: 'behind-realtime', tMs: leg.lastTMs, data: { state: 'start', backlogSec: Math.round(backlog * 10) / 10 } });
    } else if (leg.behind && backlog < cfg.maxQueueSeconds / 2) {
      leg.behind = false;
      leg.shedding = false;
      unwatch(leg, legId);
      m.behind.dec();
      bus.emit('call.event', { callId: leg.info.callId, legId, kind: 'behind-realtime', tMs: leg.lastTMs, data: { state: 'end', backlogSec: Math.round(backlog * 10) / 10 } });
    }
  }
  const timer = setInterval(() => {
    for (const [legId, leg] of legs) check(leg, legId);
  }, CHECK_MS);
  timer.unref();

  function onAudio(chunk: AudioChunk): void {
    const leg = legs.get(chunk?.legId);
    if (!leg || leg.done) return void deps.metrics.badInput('speech-audio', 'unknown-leg');
    if (!(chunk.samples instanceof Int16Array)) return void deps.metrics.badInput('speech-audio', 'not-int16');
    if (!supportedRate(chunk.sampleRate)) return void deps.metrics.badInput('speech-audio', 'sample-rate');
    if (!Number.isFinite(chunk.tMs) || chunk.tMs < 0) return void deps.metrics.badInput('speech-audio', 'timestamp');
    if (chunk.samples.length === 0 || !pool) return;
    leg.lastTMs = chunk.tMs;
    const l = pool.leg(chunk.legId);
    if (l && l.sentSec - l.vadSec > cfg.maxQueueSeconds * SHED_FACTOR) {
      // Bounded queue: far behind real time, new audio is dropped, counted, and the call told once.
      m.shedSeconds.inc(chunk.samples.length / chunk.sampleRate);
      check(leg, chunk.legId);
      if (!leg.shedding) {
        leg.shedding = true;
        bus.emit('call.event', { callId: leg.info.callId, legId: chunk.legId, kind: 'shed', tMs: chunk.tMs, data: { reason: 'asr-backlog' } });
      }
      if (watch?.audio(chunk.legId, chunk.samples, chunk.sampleRate, chunk.tMs)) {
        m.keywordSeconds.inc(chunk.samples.length / chunk.sampleRate);
        if (!leg.watching) {
          leg.watching = true;
          m.keywordLegs.inc();
          bus.emit('call.event', { callId: leg.info.callId, legId: chunk.legId, kind: 'keyword-watch', tMs: chunk.tMs, data: { state: 'start' } });
        }
      }
      return;
    }
    pool.audio(chunk.legId, chunk.samples, chunk.sampleRate, chunk.tMs);
  }

  function legDone(legId: string): Promise<void> {
    const leg = legs.get(legId);
    if (!leg) return Promise.resolve();
    unwatch(leg, legId);
    // The spotter's last hits for the leg (its flush) land before the leg is forgotten.
    leg.done ??= Promise.all([pool ? pool.end(legId) : undefined, watch?.idle()]).then(() => {
      // Everything received is recognised: a recording may release the leg's last audio.
      if (pool) bus.emit('leg.progress', { legId, doneSec: Number.MAX_VALUE });
      if (leg.behind) m.behind.dec();
      legs.delete(legId);
      finalLatency.reset(legId);
      seqOf.delete(legId);
      m.legs.dec();
    });
    return leg.done;
  }

  const offs = [
    bus.on('leg.added', (info) => {
      if (legs.has(info.legId)) return;
      legs.set(info.legId, { info, lastTMs: 0, behind: false, shedding: false, watching: false, keywordHits: 0 });
      m.legs.inc();
      pool?.open(info.legId);
    }),
    bus.on('leg.audio', onAudio),
    bus.on('leg.ended', (info) => {
      legDone(info.legId).catch((err: unknown) => log.error({ err }, 'speech: leg end failed'));
    }),
  ];

  return {
    get pool() {
      return pool;
    },
    get keywordWatch() {
      return watch;
    },
    ready: () => ({ ...state }),
    pendingSeconds,
    legDone,
    legsDone: (legIds, stallMs) => untilDoneOrStalled(Promise.all(legIds.map(legDone)), () => pool?.beats() ?? 0, stallMs),
    size: () => ({ legs: legs.size, seqs: seqOf.size, latency: finalLatency.size, pool: pool?.legIds().length ?? 0 }),
    async close() {
      for (const off of offs) off();
      clearInterval(timer);
      await Promise.all([pool?.close(), watch?.close()]);
      legs.clear();
    },
  };
}
