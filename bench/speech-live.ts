// Drives clips through the real speech stage (bus → pool → VAD → engine) as live legs would:
// 20 ms frames, paced on pendingSeconds() the way import paces itself.
import pino from 'pino';
import { PipelineBus } from '../src/call/events.js';
import { CallRegistry } from '../src/call/registry.js';
import type { Transcript } from '../src/call/types.js';
import type { Config } from '../src/config/schema.js';
import { createMetrics } from '../src/metrics/registry.js';
import { createSpeech } from '../src/speech/index.js';

export interface LiveRun {
  hyps: string[];
  wallS: number;
  cpuS: number;
  audioS: number;
  detail: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Streams each clip as one leg; up to `concurrent` legs at once. */
export async function runLive(config: Config, clips: Int16Array[], rate: number, concurrent = clips.length, maxPendingS = 20): Promise<LiveRun> {
  const bus = new PipelineBus();
  const stage = await createSpeech({ config, log: pino({ level: 'warn' }), bus, metrics: createMetrics({ defaults: false }) });
  if (!stage.ready().ok) throw new Error(`speech stage not ready: ${stage.ready().detail}`);
  const calls = new CallRegistry(bus, 10000);
  const finals = new Map<string, Transcript[]>();
  bus.on('transcript', (t) => {
    if (t.final) finals.set(t.legId, [...(finals.get(t.legId) ?? []), t]);
  });
  const legIds: string[] = new Array(clips.length);
  const frame = (rate * 20) / 1000;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let next = 0;
  let audioS = 0;
  async function worker(): Promise<void> {
    while (next < clips.length) {
      const i = next++;
      const call = calls.open({ ingest: 'import', externalId: `bench-${i}` });
      const leg = calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
      legIds[i] = leg.legId;
      const pcm = clips[i];
      for (let off = 0; off < pcm.length; off += frame) {
        while (stage.pendingSeconds() > maxPendingS) await sleep(10);
        bus.emit('leg.audio', { legId: leg.legId, samples: pcm.slice(off, off + frame), sampleRate: rate, tMs: (off * 1000) / rate });
        if ((off / frame) % 50 === 0) await sleep(0); // let worker reports in, as a socket source would
      }
      audioS += pcm.length / rate;
      await stage.legDone(leg.legId);
      calls.close(call.info.callId);
    }
  }
  await Promise.all(Array.from({ length: concurrent }, worker));
  const wallS = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const detail = stage.ready().detail;
  await stage.close();
  const hyps = legIds.map((id) => (finals.get(id) ?? []).sort((a, b) => a.seq - b.seq).map((t) => t.text).join(' '));
  return { hyps, wallS, cpuS: (cu.user + cu.system) / 1e6, audioS, detail };
}
