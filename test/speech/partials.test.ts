// Live partials from the embedded engine (speech.pocketsphinx.partialIntervalMs) and the two ASR
// timing metrics: earshot_asr_rtf (per final, timed inside the worker) and
// earshot_asr_partial_latency_seconds. Real flite speech, real pocketsphinx, real worker threads.
import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { PipelineBus } from '../../src/call/events.js';
import { CallRegistry } from '../../src/call/registry.js';
import type { Transcript } from '../../src/call/types.js';
import { validateConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createPocketsphinxEngine } from '../../src/speech/engines/pocketsphinx/index.js';
import { createSpeech } from '../../src/speech/index.js';
import type { LegTranscript, TranscriptTiming } from '../../src/speech/leg-pipeline.js';
import { Recognizer } from '../../src/speech/recognizer.js';
import { SileroVad } from '../../src/speech/vad.js';
import { frames, loadWav, run, say, scratch, wordErrorRate } from './helpers.js';

const TEXT = 'i will cancel my account and move to your competitor';
const INTERVAL_MS = 400;
const PS = {
  hmm: '/usr/share/pocketsphinx/model/en-us/en-us',
  lm: '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin',
  dict: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict',
};
const VAD = { threshold: 0.5, minSilenceMs: 500, minSpeechMs: 250, maxUtteranceMs: 15000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sentence at 8 kHz (a telephone leg) with 0.5 s of silence before and 1 s after. */
async function clip8k(t: Test): Promise<Int16Array> {
  const dir = scratch(t);
  await say(t, TEXT, join(dir, 's.wav'));
  await run(t, 'sox', [join(dir, 's.wav'), '-r', '8000', join(dir, 's8.wav'), 'pad', '0.5', '1.0']);
  return loadWav(join(dir, 's8.wav')).samples;
}

/** One leg through the whole stage (bus → worker pool → VAD → pocketsphinx), optionally paced at real time. */
async function throughStage(t: Test, pcm: Int16Array, partialIntervalMs: number, realTime: boolean) {
  const bus = new PipelineBus();
  const metrics = createMetrics({ defaults: false });
  const config = validateConfig({ dataDir: scratch(t), speech: { workers: 1, pocketsphinx: { partialIntervalMs } } });
  const stage = await createSpeech({ config, log: pino({ level: 'silent' }), bus, metrics });
  t.teardown(() => stage.close());
  t.match(stage.ready(), { ok: true, engine: 'pocketsphinx' });
  const got: Transcript[] = [];
  bus.on('transcript', (tr) => got.push(tr));
  const calls = new CallRegistry(bus, 10);
  const call = calls.open({ ingest: 'import', externalId: `p-${partialIntervalMs}` });
  const leg = calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
  const t0 = performance.now();
  for (const f of frames(pcm, 8000)) {
    // A live source: each 20 ms frame when its time has come.
    if (realTime) await sleep(Math.max(0, t0 + f.tMs - performance.now()));
    bus.emit('leg.audio', { legId: leg.legId, samples: f.samples, sampleRate: 8000, tMs: f.tMs });
  }
  await stage.legDone(leg.legId);
  calls.close(call.info.callId);
  return { got, scrape: await metrics.registry.metrics() };
}

t.test('partials on: live text before the final, the same final as with partials off, both metrics observed', async (t) => {
  const pcm = await clip8k(t);
  const on = await throughStage(t, pcm, INTERVAL_MS, true);
  const off = await throughStage(t, pcm, 0, false);

  const finalOn = on.got.filter((x) => x.final);
  const finalOff = off.got.filter((x) => x.final);
  t.equal(finalOn.length, 1, 'one final with partials on');
  t.equal(finalOff.length, 1, 'one final with partials off');
  t.ok(wordErrorRate(TEXT, finalOff[0].text) <= 0.3, `recognisable: "${finalOff[0].text}"`);
  t.equal(finalOn[0].text, finalOff[0].text, 'partials do not change the final text');
  t.same(finalOn[0].words, finalOff[0].words, 'nor its word timings');

  const partials = on.got.filter((x) => !x.final);
  t.ok(partials.length >= 1, `${partials.length} partial(s) with partials on`);
  t.ok(on.got.indexOf(partials[0]) < on.got.indexOf(finalOn[0]), 'the first partial comes before the final');
  t.ok(partials.every((x, i) => i === 0 || x.seq !== partials[i - 1].seq || x.text !== partials[i - 1].text), 'an unchanged hypothesis is not sent again');
  t.ok(partials.every((p) => p.seq === finalOn[0].seq && p.text.length > 0 && p.startMs === finalOn[0].startMs), 'partials share their final seq and start');
  t.ok(partials.every((p, i) => i === 0 || p.endMs > partials[i - 1].endMs), 'each partial covers more audio');
  t.equal(off.got.length, 1, 'partials off: nothing but the final');

  // Both families carry samples, labelled by engine only.
  for (const scrape of [on.scrape, off.scrape]) t.match(scrape, /^earshot_asr_rtf_count\{engine="pocketsphinx"\} 1$/m, 'one RTF observation per final');
  t.match(on.scrape, new RegExp(`^earshot_asr_partial_latency_seconds_count\\{engine="pocketsphinx"\\} ${partials.length}$`, 'm'), 'one latency observation per partial');
  t.match(off.scrape, /^# TYPE earshot_asr_partial_latency_seconds histogram$/m, 'the family is declared even with no partials');
  t.notMatch(off.scrape, /^earshot_asr_partial_latency_seconds_count/m, 'and has no samples then');
  const sum = (text: string, name: string) => Number(new RegExp(`^${name}_sum\\{engine="pocketsphinx"\\} (\\S+)$`, 'm').exec(text)?.[1]);
  t.ok(sum(off.scrape, 'earshot_asr_rtf') > 0, 'the RTF is a positive figure');
  t.ok(sum(on.scrape, 'earshot_asr_partial_latency_seconds') > 0, 'partial latencies are positive');
});

t.test('in-thread: finals carry engine time and audio length; partials yield to queued work', async (t) => {
  const pcm = await clip8k(t);
  const vad = await SileroVad.load();
  const engine = createPocketsphinxEngine({ ...PS, partialIntervalMs: INTERVAL_MS });
  t.teardown(() => engine.close());
  const collect = () => {
    const out: Array<{ tr: LegTranscript; timing?: TranscriptTiming }> = [];
    const sink = {
      transcript: (_l: string, tr: LegTranscript, timing?: TranscriptTiming) => void out.push({ tr, timing }),
      speech: () => {},
      stats: () => {},
      error: (_l: string, e: unknown) => t.fail(String(e)),
    };
    return { out, sink };
  };

  // One chunk at a time, each awaited: the worker is never busy, so every interval gives a partial.
  const a = collect();
  const ra = new Recognizer(engine, vad, VAD, a.sink);
  ra.open('leg');
  for (const f of frames(pcm, 8000)) await ra.audio('leg', f.samples, 8000, f.tMs);
  await ra.end('leg');
  const finalA = a.out.filter((x) => x.tr.final);
  const partialsA = a.out.filter((x) => !x.tr.final);
  t.equal(finalA.length, 1);
  t.ok(partialsA.length >= 2, `${partialsA.length} partials when idle`);
  t.ok(partialsA.every((p) => typeof p.timing?.arrivedAt === 'number' && p.timing.engineS === undefined), 'partials carry the arrival of their newest audio');
  const timing = finalA[0].timing!;
  const segS = (finalA[0].tr.endMs - finalA[0].tr.startMs) / 1000;
  // The engine gets the segment with ~100 ms of pre-roll and ~96 ms of tail around it.
  t.ok(timing.audioS! >= segS - 0.1 && timing.audioS! <= segS + 0.5, `engine audio ${timing.audioS} s for a ${segS} s segment`);
  t.ok(timing.engineS! > 0, 'engine time measured');

  // Every chunk queued at once (a backlog): partial decodes are skipped, the final is the same.
  const b = collect();
  const rb = new Recognizer(engine, vad, VAD, b.sink);
  rb.open('leg');
  for (const f of frames(pcm, 8000)) void rb.audio('leg', f.samples, 8000, f.tMs);
  await rb.end('leg');
  t.same(b.out.filter((x) => !x.tr.final), [], 'no partial while work is waiting');
  t.same(b.out.filter((x) => x.tr.final).map((x) => x.tr), finalA.map((x) => x.tr), 'identical final');
});
