// Keyword watch: a leg whose full transcription is shed still has its watch phrases spotted (real
// pocketsphinx kws on flite speech through the 8 kHz phone channel), and a calm leg raises nothing.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import t, { type Test } from 'tap';
import { PipelineBus } from '../../src/call/events.js';
import { CallRegistry } from '../../src/call/registry.js';
import type { CallEvent, Transcript } from '../../src/call/types.js';
import { validateConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createSpeech } from '../../src/speech/index.js';
import { KEYWORD_SEQ_BASE } from '../../src/speech/keyword-watch.js';
import { frames, loadWav, run, say, scratch } from './helpers.js';

async function setup(t: Test, speech: Record<string, unknown> = {}) {
  const bus = new PipelineBus();
  const metrics = createMetrics({ defaults: false });
  // One second of backlog allowed: everything after the first ~3 s of a burst is shed.
  const config = validateConfig({ dataDir: scratch(t), speech: { workers: 1, maxQueueSeconds: 1, ...speech } });
  const stage = await createSpeech({ config, log: pino({ level: 'silent' }), bus, metrics });
  t.teardown(() => stage.close());
  const calls = new CallRegistry(bus, 10);
  const transcripts: Transcript[] = [];
  const events: CallEvent[] = [];
  bus.on('transcript', (tr) => transcripts.push(tr));
  bus.on('call.event', (e) => events.push(e));
  return { bus, metrics, stage, calls, transcripts, events };
}

/** flite sentences joined into one 8 kHz leg, with where each starts (ms). */
async function leg8k(t: Test, lines: string[]): Promise<{ samples: Int16Array; starts: number[] }> {
  const dir = scratch(t);
  const parts: string[] = [];
  for (const [i, line] of lines.entries()) {
    await say(t, line, join(dir, `${i}.wav`));
    await run(t, 'sox', [join(dir, `${i}.wav`), '-r', '8000', join(dir, `${i}-8k.wav`), 'pad', '0', '0.8']);
    parts.push(join(dir, `${i}-8k.wav`));
  }
  const starts: number[] = [];
  let at = 0;
  for (const p of parts) {
    starts.push(at);
    at += (loadWav(p).samples.length / 8000) * 1000;
  }
  await run(t, 'sox', [...parts, join(dir, 'leg.wav')]);
  return { samples: loadWav(join(dir, 'leg.wav')).samples, starts };
}

const CALM = [
  'good morning i would like to check the balance on my savings account',
  'i also moved house last month so i need to update my address',
  'the new address is on the form i sent in with my last letter',
  'could you tell me when the next statement will be posted',
  'that is all for today thank you very much for your help',
];

function burst(s: Awaited<ReturnType<typeof setup>>, legId: string, samples: Int16Array): void {
  // Handed over in one synchronous burst: the worker cannot keep up, so the leg is shed.
  for (const f of frames(samples, 8000)) s.bus.emit('leg.audio', { legId, samples: f.samples, sampleRate: 8000, tMs: f.tMs });
}

t.test('phrases on a shed leg are still spotted, as final transcripts at the right time', async (t) => {
  const s = await setup(t);
  t.ok(s.stage.keywordWatch, 'keyword watch loaded');
  t.match(s.stage.ready().detail, /keyword watch on shed legs/);
  const lines = [...CALM.slice(0, 3), 'i want to speak to your supervisor right now', CALM[3]!, 'i am going to cancel my contract', CALM[4]!];
  const { samples, starts } = await leg8k(t, lines);
  const call = s.calls.open({ ingest: 'import', externalId: 'kw' });
  const leg = s.calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
  burst(s, leg.legId, samples);
  t.ok(s.events.some((e) => e.kind === 'shed' && e.legId === leg.legId), 'the leg is shed');
  t.ok(s.events.some((e) => e.kind === 'keyword-watch' && e.data?.state === 'start'), 'and put on keyword watch');
  await s.stage.legDone(leg.legId);
  await s.stage.keywordWatch!.idle();
  t.ok(s.events.some((e) => e.kind === 'keyword-watch' && e.data?.state === 'end'), 'the watch ends with the leg');

  const hits = s.transcripts.filter((tr) => tr.seq >= KEYWORD_SEQ_BASE);
  const sup = hits.find((h) => /supervisor|manager/.test(h.text));
  const churn = hits.find((h) => /cancel my|close my|terminate my/.test(h.text));
  t.ok(sup, `escalation phrase spotted (${hits.map((h) => h.text).join(' | ')})`);
  t.ok(churn, 'churn phrase spotted');
  // Within the sentence that says it (the sentence starts up to ~1.5 s before the phrase).
  if (sup) t.ok(sup.startMs >= starts[3]! - 300 && sup.endMs <= starts[4]! + 300, `escalation at ${sup.startMs}-${sup.endMs} ms, sentence ${starts[3]}-${starts[4]}`);
  if (churn) t.ok(churn.startMs >= starts[5]! - 300 && churn.endMs <= starts[6]! + 300, `churn at ${churn.startMs}-${churn.endMs} ms, sentence ${starts[5]}-${starts[6]}`);
  for (const h of hits) {
    t.equal(h.final, true);
    t.equal(h.role, 'customer');
    t.ok(h.words?.length, 'with word times');
  }
  t.equal(new Set(hits.map((h) => h.seq)).size, hits.length, 'each hit its own seq');
  const kwEvents = s.events.filter((e) => e.kind === 'keyword');
  t.equal(kwEvents.length, hits.length, 'each hit marked on the call');
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_speech_keyword_hits_total'), new RegExp(`earshot_speech_keyword_hits_total ${hits.length}`));
  const watched = Number(/^earshot_speech_keyword_watch_seconds_total (\S+)$/m.exec(await s.metrics.registry.getSingleMetricAsString('earshot_speech_keyword_watch_seconds_total'))?.[1]);
  t.ok(watched > 10, `shed audio went to the watch (${watched} s)`);
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_speech_keyword_watch_legs'), /earshot_speech_keyword_watch_legs 0/);
});

t.test('a calm shed leg raises no keyword', async (t) => {
  const s = await setup(t);
  const { samples } = await leg8k(t, [...CALM, ...CALM.slice(0, 2)]);
  const call = s.calls.open({ ingest: 'import', externalId: 'calm' });
  const leg = s.calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
  burst(s, leg.legId, samples);
  t.ok(s.events.some((e) => e.kind === 'keyword-watch'), 'watched');
  await s.stage.legDone(leg.legId);
  await s.stage.keywordWatch!.idle();
  t.same(s.transcripts.filter((tr) => tr.seq >= KEYWORD_SEQ_BASE).map((tr) => tr.text), [], 'no keyword transcript');
});

t.test('watch off, or an unusable phrase list: shed audio is dropped as before, the stage runs', async (t) => {
  const off = await setup(t, { keywordWatch: { enabled: false } });
  t.equal(off.stage.keywordWatch, undefined);
  const dir = scratch(t);
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, 'zzqx blorf\n# only words no dictionary has\n');
  const broken = await setup(t, { keywordWatch: { phrasesFile: bad } });
  t.equal(broken.stage.keywordWatch, undefined, 'no watch');
  t.match(broken.stage.ready().detail, /keyword watch unavailable/);
  t.ok(broken.stage.ready().ok, 'recognition itself is up');
  t.match(await broken.metrics.registry.getSingleMetricAsString('earshot_asr_errors_total'), /code="EARSHOT_ERR_KEYWORD_LIST"\} 1/);
  const missing = await setup(t, { keywordWatch: { phrasesFile: join(dir, 'nope.txt') } });
  t.equal(missing.stage.keywordWatch, undefined, 'a missing file: no watch either');
  for (const s of [off, broken]) {
    const call = s.calls.open({ ingest: 'import', externalId: 'x' });
    const leg = s.calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
    burst(s, leg.legId, new Int16Array(8000 * 15).map(() => Math.round((Math.random() - 0.5) * 2000)));
    t.ok(s.events.some((e) => e.kind === 'shed'), 'shed');
    t.notOk(s.events.some((e) => e.kind === 'keyword-watch'), 'not watched');
    await s.stage.legDone(leg.legId);
  }
});
