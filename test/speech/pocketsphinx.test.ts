import { readFileSync } from 'node:fs';
import t from 'tap';
import { loadAddon } from '../../src/speech/engines/pocketsphinx/addon.js';
import { createPocketsphinxEngine } from '../../src/speech/engines/pocketsphinx/index.js';
import { loadWav, wordErrorRate } from './helpers.js';

const PS = {
  hmm: '/usr/share/pocketsphinx/model/en-us/en-us',
  lm: '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin',
  dict: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict',
};
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';

// Three of the five clips (11.6 s of 28.7 s) keep the file quick; bench/wer.ts scores all five.
const CLIPS = ['0880', '0890', '0930'].map((n) => `sense_and_sensibility_01_austen_64kb-${n}`);

t.test('recognises LibriVox clips under a WER bound (pocketsphinx_batch: ~28% on all five)', async (t) => {
  const engine = createPocketsphinxEngine(PS);
  t.teardown(() => engine.close());
  let errors = 0;
  let words = 0;
  for (const line of readFileSync(`${LIBRIVOX}/transcription`, 'utf8').split('\n').filter(Boolean)) {
    const m = /^<s> (.*) <\/s> \((.*)\)$/.exec(line);
    if (!m || !CLIPS.includes(m[2])) continue;
    const wav = loadWav(`${LIBRIVOX}/${m[2]}.wav`);
    t.equal(wav.sampleRate, 16000);
    const s = engine.start();
    s.accept(Float32Array.from(wav.samples, (v) => v / 32768));
    const r = s.end();
    const n = m[1].split(' ').length;
    errors += wordErrorRate(m[1], r.text) * n;
    words += n;
    t.ok(r.words.length > 0 && r.words.every((w, i) => w.endMs > w.startMs && (i === 0 || w.startMs >= r.words[i - 1].startMs)), `${m[2]}: ordered word times`);
    t.notOk(r.words.some((w) => /[<[(]/.test(w.w)), 'no fillers or pronunciation variants in words');
  }
  const wer = errors / words;
  t.equal(words, 30, 'the three clips read');
  t.ok(wer < 0.4, `WER ${(wer * 100).toFixed(1)}% < 40%`);
});

t.test('a shared decoder gives each segment the same result whatever was decoded before', async (t) => {
  // Legs share one decoder per worker: no state may leak from one utterance into the next.
  const engine = createPocketsphinxEngine(PS);
  t.teardown(() => engine.close());
  const clip = (n: string) => Float32Array.from(loadWav(`${LIBRIVOX}/sense_and_sensibility_01_austen_64kb-${n}.wav`).samples, (v) => v / 32768);
  const dec = (f: Float32Array) => {
    const s = engine.start();
    s.accept(f);
    return s.end().text;
  };
  const a = clip('0870');
  const first = dec(a);
  // Another leg's segment on a noisy line in between (pocketsphinx's default noise tracking
  // carried that into the next utterance and changed its words).
  let seed = 1;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.2;
  dec(a.map((v) => v + noise()));
  t.equal(dec(a), first);
});

t.test('bad paths and misuse give clear errors', async (t) => {
  t.throws(() => createPocketsphinxEngine({ ...PS, lm: '/nope/x.lm.bin' }), { code: 'EARSHOT_ERR_ASR_MODEL', message: /lm not found at \/nope\/x.lm.bin/ });
  t.throws(() => new (loadAddon().Decoder)({ ...PS, args: ['-no_such_option', 'x'] }), /invalid configuration/);
  const d = new (loadAddon().Decoder)(PS);
  t.teardown(() => d.free());
  t.throws(() => d.process(new Int16Array(10)), /outside an utterance/);
  d.start();
  t.throws(() => d.process(new Float32Array(10) as unknown as Int16Array), /Int16Array/);
  t.same(d.end().text, '', 'an empty utterance decodes to nothing');
  d.free();
  t.throws(() => d.start(), /freed/);
});

t.test('search profiles reach the decoder: each decodes, the detail names it, an unknown decoder argument is refused', async (t) => {
  const wav = loadWav(`${LIBRIVOX}/sense_and_sensibility_01_austen_64kb-0880.wav`);
  const f = Float32Array.from(wav.samples, (v) => v / 32768);
  const ref = readFileSync(`${LIBRIVOX}/transcription`, 'utf8').split('\n').find((l) => l.includes('0880'))?.replace(/^<s> (.*) <\/s>.*$/, '$1') ?? '';
  for (const profile of ['balanced', 'fast'] as const) {
    const engine = createPocketsphinxEngine({ ...PS, profile });
    t.teardown(() => engine.close());
    t.match(engine.detail, new RegExp(`profile ${profile}`));
    const s = engine.start();
    s.accept(f);
    const w = wordErrorRate(ref, s.end().text);
    t.ok(w < 0.6, `${profile}: WER ${(w * 100).toFixed(0)}% on one clip`);
  }
  t.throws(() => createPocketsphinxEngine({ ...PS, args: ['-no_such_option', '1'] }), /invalid configuration/);
});
