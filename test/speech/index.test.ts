import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { PipelineBus } from '../../src/call/events.js';
import { CallRegistry } from '../../src/call/registry.js';
import type { CallEvent, Transcript } from '../../src/call/types.js';
import { validateConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createSpeech } from '../../src/speech/index.js';
import { frames, loadWav, run, say, scratch, wordErrorRate } from './helpers.js';

const TEXT = 'i want to speak to your supervisor';

async function setup(t: Test, speech: Record<string, unknown> = {}) {
  const bus = new PipelineBus();
  const metrics = createMetrics({ defaults: false });
  const config = validateConfig({ dataDir: scratch(t), speech: { workers: 1, ...speech } });
  const stage = await createSpeech({ config, log: pino({ level: 'silent' }), bus, metrics });
  t.teardown(() => stage.close());
  const calls = new CallRegistry(bus, 10);
  const transcripts: Transcript[] = [];
  const events: CallEvent[] = [];
  const stats: unknown[] = [];
  bus.on('transcript', (tr) => transcripts.push(tr));
  bus.on('call.event', (e) => events.push(e));
  bus.on('leg.stats', (s) => stats.push(s));
  return { bus, metrics, stage, calls, transcripts, events, stats };
}

async function clip8k(t: Test): Promise<Int16Array> {
  const dir = scratch(t);
  await say(t, TEXT, join(dir, 's.wav'));
  await run(t, 'sox', [join(dir, 's.wav'), '-r', '8000', join(dir, 's8.wav'), 'pad', '0.5', '1.0']);
  return loadWav(join(dir, 's8.wav')).samples;
}

// One stage (one worker: loading pocketsphinx is the slow part) serves the first three checks.
t.test('speech stage on one worker', async (t) => {
  const s = await setup(t);
  const pcm = await clip8k(t);

  await t.test('a leg through the bus: speech events, final transcript, stats, legDone', async (t) => {
    t.match(s.stage.ready(), { ok: true, engine: 'pocketsphinx' });
    const call = s.calls.open({ ingest: 'import', externalId: 'x' });
    const leg = s.calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
    for (const f of frames(pcm, 8000)) s.bus.emit('leg.audio', { legId: leg.legId, samples: f.samples, sampleRate: 8000, tMs: f.tMs });
    t.ok(s.stage.pendingSeconds() > 0, 'audio pending before recognition');
    await s.stage.legDone(leg.legId);
    t.equal(s.stage.pendingSeconds(), 0, 'nothing pending after legDone');
    const finals = s.transcripts.filter((x) => x.final && x.legId === leg.legId);
    t.equal(finals.length, 1);
    t.match(finals[0], { callId: call.info.callId, legId: leg.legId, role: 'customer', seq: 0, final: true });
    // The default profile (balanced) trades ~3 WER points for speed (BENCHMARKS.md): the word that
    // matters to an alarm must survive, the rest only roughly.
    t.match(finals[0].text, /\bsupervisor\b/u, `recognisable: "${finals[0].text}"`);
    t.ok(wordErrorRate(TEXT, finals[0].text) <= 0.5, `recognisable: "${finals[0].text}"`);
    t.ok(finals[0].prosody && finals[0].prosody.voicedRatio > 0, 'prosody attached');
    const speech = s.events.filter((e) => e.kind === 'speech' && e.legId === leg.legId);
    t.equal(speech.length, 1);
    t.ok((speech[0].data?.startMs as number) >= 400 && (speech[0].data?.endMs as number) > (speech[0].data?.startMs as number));
    t.ok(s.stats.some((x) => (x as { legId: string }).legId === leg.legId), 'leg.stats sent at leg end');
    s.calls.close(call.info.callId); // leg.ended after legDone: harmless
  });

  await t.test('bad input is counted, never thrown', async (t) => {
    const call = s.calls.open({ ingest: 'import', externalId: 'y' });
    const leg = s.calls.addLeg(call.info.callId, { role: 'agent', label: '1' });
    s.bus.emit('leg.audio', { legId: 'nope', samples: new Int16Array(160), sampleRate: 8000, tMs: 0 });
    s.bus.emit('leg.audio', { legId: leg.legId, samples: new Float32Array(160) as unknown as Int16Array, sampleRate: 8000, tMs: 0 });
    s.bus.emit('leg.audio', { legId: leg.legId, samples: new Int16Array(160), sampleRate: 12347, tMs: 0 });
    s.bus.emit('leg.audio', { legId: leg.legId, samples: new Int16Array(160), sampleRate: 8000, tMs: Number.NaN });
    s.bus.emit('leg.audio', null as never);
    const text = await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total');
    for (const reason of ['unknown-leg', 'not-int16', 'sample-rate', 'timestamp']) {
      t.match(text, new RegExp(`parser="speech-audio",reason="${reason}"`), reason);
    }
    await s.stage.legDone(leg.legId);
  });

  await t.test('a killed worker is restarted, its leg gets an event, recognition goes on', async (t) => {
    const call = s.calls.open({ ingest: 'import', externalId: 'z' });
    const leg = s.calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
    for (const f of frames(pcm.subarray(0, 8000), 8000)) s.bus.emit('leg.audio', { legId: leg.legId, samples: f.samples, sampleRate: 8000, tMs: f.tMs });
    const restarted = new Promise<void>((resolve) => {
      const off = s.bus.on('call.event', (e) => {
        if (e.kind === 'asr-restart') {
          off();
          resolve();
        }
      });
    });
    await s.stage.pool?.killWorker(0);
    // Wait for the worker's exit to be handled, however slow the machine (bounded, not timed).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([restarted, new Promise((r) => (timer = setTimeout(r, 30000)))]);
    clearTimeout(timer);
    const restart = s.events.find((e) => e.kind === 'asr-restart' && e.legId === leg.legId);
    t.ok(restart, 'asr-restart event');
    t.equal(restart?.legId, leg.legId);
    t.match(await s.metrics.registry.getSingleMetricAsString('earshot_asr_restarts_total'), /earshot_asr_restarts_total 1/);
    for (const f of frames(pcm, 8000)) s.bus.emit('leg.audio', { legId: leg.legId, samples: f.samples, sampleRate: 8000, tMs: 10000 + f.tMs });
    await s.stage.legDone(leg.legId);
    const finals = s.transcripts.filter((x) => x.final && x.legId === leg.legId);
    t.equal(finals.length, 1, 'the replacement worker transcribes the leg');
    t.ok(finals[0].startMs >= 10000, 'times continue on the leg clock');
  });
});

t.test('a leg far behind real time is reported and shed, never silently', async (t) => {
  const s = await setup(t, { maxQueueSeconds: 1 });
  const call = s.calls.open({ ingest: 'import', externalId: 'w' });
  const leg = s.calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
  const noise = new Int16Array(8000 * 20).map(() => Math.round((Math.random() - 0.5) * 2000));
  // 20 s handed over in one synchronous burst: the worker cannot have reported progress yet.
  for (const f of frames(noise, 8000)) s.bus.emit('leg.audio', { legId: leg.legId, samples: f.samples, sampleRate: 8000, tMs: f.tMs });
  t.ok(s.events.some((e) => e.kind === 'behind-realtime' && e.data?.state === 'start'), 'behind-realtime event');
  t.ok(s.events.some((e) => e.kind === 'shed' && e.legId === leg.legId), 'shed event');
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_legs_behind_realtime'), /earshot_legs_behind_realtime 1/);
  await s.stage.legDone(leg.legId);
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_legs_behind_realtime'), /earshot_legs_behind_realtime 0/);
  t.equal(s.stage.pendingSeconds(), 0);
});
