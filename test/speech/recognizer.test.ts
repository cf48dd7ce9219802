import { join } from 'node:path';
import t from 'tap';
import { createPocketsphinxEngine } from '../../src/speech/engines/pocketsphinx/index.js';
import type { LegTranscript } from '../../src/speech/leg-pipeline.js';
import { Recognizer } from '../../src/speech/recognizer.js';
import { SileroVad } from '../../src/speech/vad.js';
import { activeBounds, frames, loadWav, run, say, scratch, wordErrorRate } from './helpers.js';

const PS = {
  hmm: '/usr/share/pocketsphinx/model/en-us/en-us',
  lm: '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin',
  dict: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict',
};
const VAD = { threshold: 0.5, minSilenceMs: 500, minSpeechMs: 250, maxUtteranceMs: 15000 };
const S1 = 'i want to speak to your supervisor';
const S2 = 'i will cancel my account and move to your competitor';

function collect() {
  const finals: LegTranscript[] = [];
  const partials: LegTranscript[] = [];
  const speech: Array<[number, number]> = [];
  const stats: Array<{ levelDb: number; clippedRatio: number }> = [];
  const errors: unknown[] = [];
  const order: string[] = [];
  const speechSeqs: number[] = [];
  return {
    finals, partials, speech, stats, errors, order, speechSeqs,
    sink: {
      transcript: (_l: string, tr: LegTranscript) => (tr.final && order.push('final'), (tr.final ? finals : partials).push(tr)),
      speech: (_l: string, s: number, e: number, seq: number) => (order.push('speech'), speechSeqs.push(seq), speech.push([s, e])),
      stats: (_l: string, s: { levelDb: number; clippedRatio: number }) => stats.push(s),
      error: (_l: string, e: unknown) => errors.push(e),
    },
  };
}

t.test('VAD segments and transcripts of a padded flite clip, at 16 and 8 kHz', async (t) => {
  const dir = scratch(t);
  await say(t, S1, join(dir, 'a.wav'));
  await say(t, S2, join(dir, 'b.wav'));
  // 1.0 s silence, S1, 2.0 s silence, S2, 1.0 s silence.
  await run(t, 'sox', [join(dir, 'a.wav'), join(dir, 'a-pad.wav'), 'pad', '1.0', '2.0']);
  await run(t, 'sox', [join(dir, 'a-pad.wav'), join(dir, 'b.wav'), join(dir, 'call16.wav'), 'pad', '0', '1.0']);
  await run(t, 'sox', [join(dir, 'call16.wav'), '-r', '8000', join(dir, 'call8.wav')]);
  const a = loadWav(join(dir, 'a.wav'));
  const b = loadWav(join(dir, 'b.wav'));
  const lenA = a.samples.length / 16;
  const [a0, a1] = activeBounds(a.samples, 16000);
  const [b0, b1] = activeBounds(b.samples, 16000);
  const expected: Array<[number, number]> = [[1000 + a0, 1000 + a1], [3000 + lenA + b0, 3000 + lenA + b1]];

  const vad = await SileroVad.load();
  const engine = createPocketsphinxEngine(PS);
  t.teardown(() => engine.close());
  for (const rate of [16000, 8000]) {
    const c = collect();
    const rec = new Recognizer(engine, vad, VAD, c.sink);
    const wav = loadWav(join(dir, rate === 16000 ? 'call16.wav' : 'call8.wav'));
    t.equal(wav.sampleRate, rate);
    rec.open('leg-1');
    const fed: Promise<void>[] = [];
    for (const f of frames(wav.samples, rate)) fed.push(rec.audio('leg-1', f.samples, rate, f.tMs + 500));
    await Promise.all(fed);
    await rec.end('leg-1');
    t.same(c.errors, [], `${rate}: no errors`);
    t.equal(c.speech.length, 2, `${rate}: two speech segments`);
    c.speech.forEach(([s, e], i) => {
      // Leg time starts at 500 ms (first frame's tMs); Silero marks onsets within a window or two.
      t.ok(Math.abs(s - 500 - expected[i][0]) < 150, `${rate}: segment ${i} start ${s - 500} ≈ ${expected[i][0]}`);
      t.ok(Math.abs(e - 500 - expected[i][1]) < 200, `${rate}: segment ${i} end ${e - 500} ≈ ${expected[i][1]}`);
    });
    t.equal(c.finals.length, 2, `${rate}: two finals`);
    t.same(c.order, ['speech', 'final', 'speech', 'final'], `${rate}: a segment is reported closed before its decode`);
    t.same(c.finals.map((f) => f.seq), [0, 1]);
    t.same(c.speechSeqs, [0, 1], `${rate}: each closed segment names the seq its final carries`);
    const wer = wordErrorRate(`${S1} ${S2}`, c.finals.map((f) => f.text).join(' '));
    t.ok(wer <= 0.25, `${rate}: WER ${wer.toFixed(3)} <= 0.25 ${c.finals.map((f) => f.text).join("|")}`);
    const f0 = c.finals[0];
    t.ok(f0.words && f0.words.length > 3 && f0.words[0].startMs >= f0.startMs - 250, `${rate}: word times in leg time`);
    t.ok(f0.prosody && f0.prosody.f0MeanHz > 70 && f0.prosody.f0MeanHz < 200, `${rate}: male F0 ${f0.prosody?.f0MeanHz}`);
    t.ok(f0.prosody && f0.prosody.voicedRatio > 0.2, `${rate}: voiced ratio ${f0.prosody?.voicedRatio}`);
    const last = c.stats.at(-1);
    t.ok(last && last.levelDb < -5 && last.levelDb > -40 && last.clippedRatio < 0.01, `${rate}: level ${last?.levelDb} dBFS`);
    for (const p of c.partials) t.ok(p.seq === 0 || p.seq === 1, 'partials share their final seq');
    t.equal(rec.progress('leg-1'), undefined, 'leg forgotten after end');
  }
});

t.test('close skips the queued audio: shutdown does not wait for a backlog to be recognised', async (t) => {
  const dir = scratch(t);
  await say(t, S1, join(dir, 'a.wav'));
  await run(t, 'sox', [join(dir, 'a.wav'), join(dir, 'long.wav'), 'repeat', '5']);
  const vad = await SileroVad.load();
  const engine = createPocketsphinxEngine(PS);
  const c = collect();
  const rec = new Recognizer(engine, vad, VAD, c.sink);
  rec.open('leg-1');
  const wav = loadWav(join(dir, 'long.wav'));
  const done: Promise<void>[] = [];
  for (const f of frames(wav.samples, 16000)) done.push(rec.audio('leg-1', f.samples, 16000, f.tMs));
  done.push(rec.end('leg-1'));
  t.ok(rec.queued > 100, `a backlog of ${rec.queued} jobs`);
  await rec.close();
  await Promise.all(done);
  t.equal(rec.queued, 0, 'every queued promise settled');
  t.same(c.finals, [], 'the backlog was not recognised');
  t.same(c.errors, []);
});
