// The recordings stage (privacy.storeAudio): each leg's audio, muted where analysis redacted a
// number or a DTMF key was pressed, encoded to Opus and sealed with AES-256-GCM by an encoder
// thread, one file per leg. Off by default: then nothing here runs and no audio file exists.
import { statfsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { PipelineBus } from '../call/events.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import type { MutedSpan } from '../store/repos/recordings.js';
import type { Store } from '../store/types.js';
import { DelayLine } from './delay-line.js';
import { openKeyRing, type KeyRing } from './keyring.js';
import { OPUS_DELAY_MS } from './opus.js';
import type { FromEncoder, ToEncoder } from './protocol.js';

export { openKeyRing, rotateKey, type KeyRing } from './keyring.js';
export { SealedReader, SealedWriter } from './container.js';
export { renderWav, wavLength } from './playback.js';

export interface RecordingsDeps {
  config: Pick<Config, 'privacy' | 'recordings' | 'dataDir'>;
  log: Logger;
  bus: PipelineBus;
  store: Pick<Store, 'repos'>;
  metrics: Metrics;
}

export interface RecordingsStage {
  readonly enabled: boolean;
  ready(): { ok: boolean; state: string; detail: string };
  /** Resolves when every ended leg's file is closed and recorded (tests, shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const recordingsDir = (c: RecordingsDeps['config']): string => c.recordings.dir || join(c.dataDir, 'recordings');
export const keyFilePath = (c: RecordingsDeps['config']): string => c.recordings.keyFile || join(c.dataDir, 'recordings.keys');

interface Leg {
  callId: string;
  worker: Worker;
  line: DelayLine;
  opened?: { rate: number; keyId: string; path: string };
  stopped?: boolean;
  closing?: Promise<void>;
}

const GUARD_EVERY_MS = 5000;
const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/gu, '_').slice(0, 100);

function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './encoder-worker.ts' : './encoder-worker.js', import.meta.url);
}

export function createRecordings(deps: RecordingsDeps, opts: { now?: () => number; freeBytes?: (dir: string) => number } = {}): RecordingsStage {
  const { config, bus, store } = deps;
  const log = deps.log.child({ stage: 'recordings' });
  const cfg = config.recordings;
  const registers = [deps.metrics.registry];
  const m = {
    bytes: new Counter({ name: 'earshot_recordings_bytes_total', help: 'Encrypted recording bytes written', registers }),
    files: new Counter({ name: 'earshot_recordings_files_total', help: 'Leg recordings closed, by status', labelNames: ['status'] as const, registers }),
    muted: new Counter({ name: 'earshot_recordings_muted_seconds_total', help: 'Seconds of recorded audio replaced by silence, by reason', labelNames: ['reason'] as const, registers }),
    errors: new Counter({ name: 'earshot_recordings_errors_total', help: 'Recording failures, by code', labelNames: ['code'] as const, registers }),
    skipped: new Counter({ name: 'earshot_recordings_skipped_legs_total', help: 'Legs not recorded because the disk guard had stopped audio', registers }),
    guard: new Gauge({ name: 'earshot_recordings_disk_guard', help: '1 while free space is below recordings.minFreeMb and no audio is written', registers }),
  };
  const enabled = config.privacy.storeAudio;
  if (!enabled) {
    return { enabled, ready: () => ({ ok: true, state: 'off', detail: 'privacy.storeAudio is false: no audio is stored' }), idle: async () => {}, close: async () => {} };
  }
  const now = opts.now ?? Date.now;
  const dir = recordingsDir(config);
  const freeBytes = opts.freeBytes ?? ((d: string) => {
    try {
      const s = statfsSync(d);
      return s.bavail * s.bsize;
    } catch {
      return Number.POSITIVE_INFINITY; // not made yet: the data directory's guard applies
    }
  });
  let ring: KeyRing | undefined;
  const legs = new Map<string, Leg>();
  const closes = new Map<string, (r: FromEncoder) => void>();
  let guarded = false;
  let closed = false;

  // Encoder threads (one per two cores): a 16 kHz leg costs ~1.8 % of a core (bench/recordings.ts),
  // so one thread would cap out at a few dozen legs. Legs are spread round-robin.
  const workers = Array.from({ length: Math.max(1, Math.floor(availableParallelism() / 2)) }, () => {
    const w = new Worker(workerUrl());
    w.unref();
    w.on('message', (r: FromEncoder) => {
      if (r.t === 'error') {
        m.errors.inc({ code: r.code });
        log.error({ code: r.code }, 'recordings: a leg recording failed and was removed');
        const leg = legs.get(r.id);
        if (leg) leg.stopped = true;
      }
      closes.get(r.id)?.(r);
    });
    w.on('error', (err) => log.error({ err: err.message }, 'recordings: encoder thread failed'));
    return w;
  });
  let next = 0;
  const post = (leg: Leg, msg: ToEncoder, transfer?: ArrayBuffer[]) => leg.worker.postMessage(msg, transfer);

  function checkGuard(): void {
    const low = freeBytes(dir) < cfg.minFreeMb * 1024 * 1024;
    if (low && !guarded) {
      log.warn({ minFreeMb: cfg.minFreeMb }, 'recordings: free disk space below recordings.minFreeMb; audio writing stopped');
      for (const [legId, leg] of legs) if (!leg.stopped) void finishLeg(legId, leg, true);
    } else if (!low && guarded) log.info('recordings: free disk space recovered; audio writing resumes for new legs');
    guarded = low;
    m.guard.set(low ? 1 : 0);
  }
  checkGuard();
  const timer = setInterval(checkGuard, GUARD_EVERY_MS);
  timer.unref();

  function write(legId: string, leg: Leg, samples: Int16Array, rate: number): void {
    if (leg.stopped) return;
    if (!leg.opened) {
      ring ??= openKeyRing(keyFilePath(config), { create: true });
      const { id, key } = ring.active();
      const day = new Date(now()).toISOString().slice(0, 10);
      const path = join(dir, day, safe(leg.callId), `${safe(legId)}.esrc`);
      leg.opened = { rate, keyId: id, path };
      post(leg, { t: 'open', id: legId, path, keyId: id, key, rate, bitrate: cfg.bitrate });
    }
    // A codec change mid-leg: the file keeps its rate, the other-rate audio is stored as silence of its length.
    const out = rate === leg.opened.rate ? Int16Array.from(samples) : new Int16Array(Math.round((samples.length * leg.opened.rate) / rate));
    post(leg, { t: 'pcm', id: legId, samples: out }, [out.buffer as ArrayBuffer]);
  }

  function finishLeg(legId: string, leg: Leg, stopped: boolean): Promise<void> {
    leg.closing ??= (async () => {
      if (!stopped) leg.line.flush();
      leg.stopped = true;
      const opened = leg.opened;
      if (!opened) return;
      const r = await new Promise<FromEncoder>((resolve) => {
        closes.set(legId, resolve);
        post(leg, { t: 'close', id: legId });
      });
      closes.delete(legId);
      if (r.t !== 'closed') return;
      const status = stopped ? 'stopped' : 'complete';
      m.files.inc({ status });
      m.bytes.inc(r.bytes);
      const muted: MutedSpan[] = leg.line.muted;
      for (const s of muted) m.muted.inc({ reason: s.reason }, (s.endMs - s.startMs) / 1000);
      try {
        store.repos.recordings.insert({
          callId: leg.callId, legId, path: opened.path, keyId: opened.keyId, bytes: r.bytes,
          durationMs: Math.round((r.frames * r.frame * 1000) / r.rate), offsetMs: Math.round((leg.line.offsetMs ?? 0) - OPUS_DELAY_MS),
          sampleRate: r.rate, muted, status, createdAt: now(),
        });
      } catch (err) {
        m.errors.inc({ code: 'EARSHOT_ERR_INTERNAL' });
        log.error({ err: (err as Error).message }, 'recordings: could not record a finished recording in the database');
      }
    })().finally(() => legs.delete(legId));
    return leg.closing;
  }

  const offs = [
    bus.on('leg.added', (info) => {
      if (closed || legs.has(info.legId)) return;
      if (guarded) return void m.skipped.inc();
      const leg: Leg = { callId: info.callId, worker: workers[next++ % workers.length], line: new DelayLine(cfg.holdSeconds, (r) => write(info.legId, leg, r.samples, r.rate)) };
      legs.set(info.legId, leg);
    }),
    bus.on('leg.audio', (c) => {
      const leg = legs.get(c?.legId);
      if (!leg || leg.stopped || !(c.samples instanceof Int16Array) || !(c.sampleRate > 0) || !Number.isFinite(c.tMs)) return;
      leg.line.audio(c.samples, c.sampleRate, c.tMs);
    }),
    bus.on('leg.progress', (p) => legs.get(p.legId)?.line.progress(p.doneSec)),
    bus.on('transcript', (t) => {
      if (t?.final) legs.get(t.legId)?.line.final(t.seq, t.startMs, t.endMs);
    }),
    bus.on('utterance.muted', (u) => legs.get(u.legId)?.line.analysed(u.seq, u.spans)),
    bus.on('call.event', (e) => {
      const leg = e.legId ? legs.get(e.legId) : undefined;
      if (!leg) return;
      if (e.kind === 'dtmf') {
        const d = Number((e.data as { durationMs?: unknown } | undefined)?.durationMs);
        leg.line.dtmf(e.tMs - 60, e.tMs + (Number.isFinite(d) && d > 0 ? Math.min(d, 5000) : 250) + 100);
      } else if (e.kind === 'asr-restart') leg.line.restarted();
    }),
    // After the call's drain: its legs are recognised and analysed, so the delay lines empty now.
    bus.on('call.ended', (e) => {
      for (const [legId, leg] of legs) if (leg.callId === e.callId) void finishLeg(legId, leg, leg.stopped === true);
    }),
  ];

  const idle = async () => {
    await Promise.all([...legs.values()].map((l) => l.closing ?? Promise.resolve()));
  };

  return {
    enabled,
    // Checks the disk now as well, so /readyz is never behind the guard's timer.
    ready: () => (checkGuard(), guarded
      ? { ok: true, state: 'stopped', detail: `free space below recordings.minFreeMb (${cfg.minFreeMb} MB): no audio is written` }
      : { ok: true, state: 'on', detail: `recording ${[...legs.values()].filter((l) => !l.stopped).length} leg(s) to ${dir}` }),
    idle,
    async close() {
      if (closed) return;
      closed = true;
      for (const off of offs) off();
      clearInterval(timer);
      // Legs still open (calls not ended through the registry) are finalised with what is settled.
      await Promise.all([...legs].map(([id, leg]) => finishLeg(id, leg, leg.stopped === true)));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
