// The sherpa engine: token-to-word grouping and the recogniser configuration built from manifests,
// then the real sherpa-onnx recogniser on generated tiny models (below), and on a real model when
// EARSHOT_SHERPA_MODEL names one.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import t, { type Test } from 'tap';
import { PipelineBus } from '../../src/call/events.js';
import { CallRegistry } from '../../src/call/registry.js';
import type { CallEvent, Transcript } from '../../src/call/types.js';
import { validateConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/registry.js';
import type { AsrEngine, AsrResult } from '../../src/speech/engines/engine.js';
import { createSherpaEngine, recognizerConfig, type SherpaSpec, words } from '../../src/speech/engines/sherpa/index.js';
import { probeSherpa } from '../../src/speech/engines/sherpa/probe.js';
import { resolveEngine } from '../../src/speech/engine-select.js';
import { createSpeech } from '../../src/speech/index.js';
import type { ModelManifest } from '../../src/speech/models/manifest.js';
import { frames, loadWav, run, say, scratch, wordErrorRate } from './helpers.js';

t.test('BPE pieces and CJK characters become timed words', async (t) => {
  t.same(words(['▁I', '▁WANT', '▁SUPER', 'VI', 'SOR'], [0.1, 0.3, 0.6, 0.8, 0.9], 1000, 2200), [
    { w: 'i', startMs: 1100, endMs: 1300 },
    { w: 'want', startMs: 1300, endMs: 1600 },
    { w: 'supervisor', startMs: 1600, endMs: 2200 },
  ]);
  t.same(words(['我', '要', '▁OK'], [0, 0.2, 0.4], 0, 600).map((w) => w.w), ['我', '要', 'ok']);
  t.same(words([], [], 0, 100), []);
});

const base: ModelManifest = {
  name: 'm',
  language: 'en',
  type: 'transducer',
  files: { encoder: 'e.onnx', decoder: 'd.onnx', joiner: 'j.onnx', tokens: 'tokens.txt' },
  url: 'https://x/y',
  archive: 'y',
  sha256: '',
  licence: 'Apache-2.0',
  upstream: 'https://x',
};

t.test('recogniser config per model type; hot-words only where the model can take them', async (t) => {
  const tr = recognizerConfig({ modelDir: '/m', manifest: base, hotwords: [] });
  t.match(tr, { modelConfig: { transducer: { encoder: '/m/e.onnx', decoder: '/m/d.onnx', joiner: '/m/j.onnx' }, tokens: '/m/tokens.txt' }, decodingMethod: 'greedy_search', rule2MinTrailingSilence: 1.2 });
  const ctc = recognizerConfig({ modelDir: '/m', manifest: { ...base, type: 'zipformer2Ctc', files: { model: 'c.onnx', tokens: 't.txt' } }, hotwords: [], endpoint: { rule2MinTrailingSilence: 0.8 } });
  t.match(ctc, { modelConfig: { zipformer2Ctc: { model: '/m/c.onnx' } }, rule2MinTrailingSilence: 0.8 });
  const para = recognizerConfig({ modelDir: '/m', manifest: { ...base, type: 'paraformer', files: { encoder: 'e', decoder: 'd', tokens: 't' } }, hotwords: [] });
  t.match(para, { modelConfig: { paraformer: { encoder: '/m/e', decoder: '/m/d' } } });
  // BPE without a bpe.vocab cannot encode hot-words: plain greedy search, no hotwords file.
  t.match(recognizerConfig({ modelDir: '/m', manifest: base, hotwords: ['refund'] }, '/tmp/h.txt'), { decodingMethod: 'greedy_search' });
  const withVocab = recognizerConfig({ modelDir: '/m', manifest: { ...base, files: { ...base.files, bpeVocab: 'bpe.vocab' } }, hotwords: ['refund'] }, '/tmp/h.txt');
  t.match(withVocab, { decodingMethod: 'modified_beam_search', hotwordsFile: '/tmp/h.txt', modelConfig: { modelingUnit: 'bpe', bpeVocab: '/m/bpe.vocab' } });
});

// ---------------------------------------------------------------------------------------------
// The real sherpa-onnx recogniser on the tiny random-weight models that scripts/make-test-models.sh
// writes (build/test-models; run by scripts/setup.sh). Their text means nothing, but loud frames
// emit tokens and quiet ones blanks, so everything except accuracy is exercised: the loaders'
// metadata and state tensors, streaming, endpoint rules, hot-words, errors. Missing models skip
// the tests on a developer's machine and FAIL them in CI.

const GENERATED = fileURLToPath(new URL('../../build/test-models/', import.meta.url));
const TR = 'tiny-zipformer2-transducer';
const CTC = 'tiny-zipformer2-ctc';
const V1 = 'tiny-zipformer-transducer-zh-en';
const haveModels = [join(TR, 'encoder.onnx'), join(CTC, 'model.onnx'), join(V1, 'encoder.onnx')].every((f) => existsSync(join(GENERATED, f)));
const needModels = !haveModels && !process.env.CI ? 'build/test-models missing: run bash scripts/make-test-models.sh' : false;

function requireModels(t: Test): void {
  if (!haveModels) t.fail(`${GENERATED} has no generated models: scripts/make-test-models.sh (called by scripts/setup.sh) did not run or failed`);
}

const tiny: Record<string, ModelManifest> = {
  [TR]: {
    ...base,
    name: TR,
    files: { encoder: 'encoder.onnx', decoder: 'decoder.onnx', joiner: 'joiner.onnx', tokens: 'tokens.txt', bpeVocab: 'bpe.vocab' },
    modelingUnit: 'bpe',
  },
  [CTC]: { ...base, name: CTC, type: 'zipformer2Ctc', files: { model: 'model.onnx', tokens: 'tokens.txt' }, modelingUnit: 'bpe' },
  [V1]: {
    ...base,
    name: V1,
    language: 'zh-en',
    files: { encoder: 'encoder.onnx', decoder: 'decoder.onnx', joiner: 'joiner.onnx', tokens: 'tokens.txt', bpeVocab: 'bpe.vocab' },
    modelingUnit: 'cjkchar+bpe',
  },
};

/** Deterministic test audio at 16 kHz: a loud tone with noise, or digital silence. */
function loud(sec: number, seed = 7): Float32Array {
  let x = seed;
  return Float32Array.from({ length: Math.round(sec * 16000) }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return 0.2 * Math.sin((i * 2 * Math.PI * 440) / 16000) + 0.05 * (x / 2147483648 - 0.5);
  });
}
const quiet = (sec: number) => new Float32Array(Math.round(sec * 16000));

/** Feeds 20 ms frames as the worker does; returns the final result and how many partials changed. */
function stream(engine: AsrEngine, parts: Float32Array[]): { result: AsrResult; partials: number } {
  const s = engine.start();
  let partials = 0;
  let last: string | null = null;
  for (const p of parts) {
    for (let o = 0; o < p.length; o += 320) {
      s.accept(p.subarray(o, o + 320));
      const now = s.partial(true);
      if (now !== last) partials++;
      last = now;
    }
  }
  return { result: s.end(), partials };
}

function spec(name: string, over: Partial<SherpaSpec> = {}): SherpaSpec {
  return { modelDir: join(GENERATED, name), manifest: tiny[name], hotwords: [], ...over };
}

t.test('the real recogniser streams a tiny Zipformer2 transducer; rule 2 endpoints bank text and keep leg time', { skip: needModels }, async (t) => {
  requireModels(t);
  const engine = createSherpaEngine(spec(TR, { endpoint: { rule2MinTrailingSilence: 0.8 } }));
  t.teardown(() => engine.close());
  t.match(engine.detail, /sherpa-onnx tiny-zipformer2-transducer \(transducer, en\) on cpu/);
  const { result, partials } = stream(engine, [loud(1), quiet(1.5), loud(1), quiet(0.3)]);
  t.ok(result.text.length > 0, `tokens decoded: "${result.text.slice(0, 40)}…"`);
  t.ok(partials >= 2, `partials grow while audio streams (${partials})`);
  t.equal(result.endpoints, 1, 'the 1.5 s silence after text fires rule 2 once');
  const starts = result.words.map((w) => w.startMs);
  t.same(starts, [...starts].sort((a, b) => a - b), 'word times in order across the reset');
  t.notOk(starts.some((s) => s >= 1200 && s < 2400), 'no word inside the silence: times after the reset are offset by the audio before it');
  t.ok(starts.some((s) => s < 1200) && starts.some((s) => s >= 2400), 'words from both loud parts');
  t.ok(result.words.every((w) => w.endMs >= w.startMs && w.endMs <= 3800), 'word ends within the segment');

  // Rule 3: a long loud stretch is cut every second; nothing is lost from the final.
  const rule3 = createSherpaEngine(spec(TR, { endpoint: { rule3MinUtteranceLength: 1 } }));
  t.teardown(() => rule3.close());
  const long = stream(rule3, [loud(3.2)]).result;
  t.ok((long.endpoints ?? 0) >= 2, `rule 3 fired ${long.endpoints} times in 3.2 s`);
  t.ok(long.words.length > 0 && long.words[long.words.length - 1].startMs > 2000, 'the text after the last cut is kept');
  // Silence alone decodes to nothing (and rule 1 fires after 2.4 s of it).
  const silent = stream(engine, [quiet(3)]).result;
  t.equal(silent.text, '');
  t.equal(silent.endpoints, 1, 'rule 1: 2.4 s with no text');
});

t.test('a tiny Zipformer2 CTC model streams and endpoints the same way', { skip: needModels }, async (t) => {
  requireModels(t);
  const engine = createSherpaEngine(spec(CTC, { endpoint: { rule2MinTrailingSilence: 0.8 } }));
  t.teardown(() => engine.close());
  const { result } = stream(engine, [loud(1), quiet(1.5), loud(1)]);
  t.ok(result.text.length > 0, 'CTC tokens decoded');
  t.equal(result.endpoints, 1);
  t.ok(result.words.some((w) => w.startMs >= 2400), 'words after the endpoint on the segment clock');
});

t.test('a tiny Zipformer (v1) bilingual transducer, the 2023-02-20 zh-en kind, loads and streams; mixed hot-words accepted', { skip: needModels }, async (t) => {
  requireModels(t);
  const engine = createSherpaEngine(spec(V1, { endpoint: { rule2MinTrailingSilence: 0.8 }, hotwords: ['经理', 'supervisor'] }));
  t.teardown(() => engine.close());
  t.match(engine.detail, /\(transducer, zh-en\).*2 hot-words/);
  const { result } = stream(engine, [loud(1), quiet(1.5), loud(1)]);
  t.ok(result.text.length > 0);
  t.equal(result.endpoints, 1);
  t.ok(result.words.some((w) => w.startMs >= 2400) && result.words.some((w) => w.startMs < 1200), 'words from both loud parts, on the segment clock');
});

t.test('hot-words are accepted: modified beam search with the model bpe.vocab', { skip: needModels }, async (t) => {
  requireModels(t);
  const hot = spec(TR, { hotwords: ['supervisor', 'cancel my account'] });
  const engine = createSherpaEngine(hot);
  t.teardown(() => engine.close());
  t.match(engine.detail, /2 hot-words/);
  t.match(recognizerConfig(hot, '/x'), { decodingMethod: 'modified_beam_search', modelConfig: { bpeVocab: join(GENERATED, TR, 'bpe.vocab'), modelingUnit: 'bpe' } });
  t.ok(stream(engine, [loud(1)]).result.text.length > 0, 'decodes with the hot-words graph');
  // Without a bpe.vocab the model cannot encode them: plain greedy search, and the detail says none.
  const { bpeVocab: _, ...files } = tiny[TR].files;
  const noVocab = createSherpaEngine({ ...hot, manifest: { ...tiny[TR], files } });
  t.teardown(() => noVocab.close());
  t.notMatch(noVocab.detail, /hot-words/);
});

t.test('a missing or corrupt model file gives its error code', { skip: needModels }, async (t) => {
  requireModels(t);
  const dir = scratch(t);
  for (const f of ['encoder.onnx', 'decoder.onnx', 'tokens.txt', 'bpe.vocab']) copyFileSync(join(GENERATED, TR, f), join(dir, f));
  t.throws(() => createSherpaEngine({ ...spec(TR), modelDir: dir }), { code: 'EARSHOT_ERR_MODEL_MISSING', message: /joiner file .*joiner.onnx is missing/ });
  // Truncated: passes the file checks (starts like ONNX), fails in onnxruntime. sherpa-onnx can
  // abort the process on that, so it is loaded in the child-process probe.
  const joiner = readFileSync(join(GENERATED, TR, 'joiner.onnx'));
  writeFileSync(join(dir, 'joiner.onnx'), joiner.subarray(0, joiner.length >> 1));
  const probe = await probeSherpa({ ...spec(TR), modelDir: dir });
  t.match(probe, { ok: false, detail: /model failed to load/ });
  const good = await probeSherpa(spec(TR));
  t.same(good, { ok: true, detail: 'loaded' }, 'the intact model passes the probe');
});

/** A data dir holding the generated model as an installed one (copies: installs refuse symlinks). */
function installed(t: Test, name: string, omit?: string): { dataDir: string; manifestsDir: string } {
  const dataDir = scratch(t);
  const dest = join(dataDir, 'models', name);
  mkdirSync(dest, { recursive: true });
  for (const f of Object.values(tiny[name].files)) if (f !== omit) copyFileSync(join(GENERATED, name, f), join(dest, f));
  const manifestsDir = scratch(t);
  writeFileSync(join(manifestsDir, `${name}.json`), JSON.stringify(tiny[name]));
  return { dataDir, manifestsDir };
}

async function sherpaStage(t: Test, dataDir: string, manifestsDir: string, sherpa: Record<string, unknown>, workers = 2) {
  const bus = new PipelineBus();
  const metrics = createMetrics({ defaults: false });
  const config = validateConfig({ dataDir, speech: { engine: 'sherpa', workers, sherpa } });
  const stage = await createSpeech({ config, log: pino({ level: 'silent' }), bus, metrics }, { manifestsDir });
  t.teardown(() => stage.close());
  const transcripts: Transcript[] = [];
  const events: CallEvent[] = [];
  bus.on('transcript', (tr) => transcripts.push(tr));
  bus.on('call.event', (e) => events.push(e));
  return { bus, metrics, stage, calls: new CallRegistry(bus, 10), transcripts, events };
}

/** Several legs streaming 20 ms frames at once (interleaved), as live calls do; every leg must get finals. */
async function streamLegs(t: Test, s: Awaited<ReturnType<typeof sherpaStage>>, pcm: Int16Array, rate: number, n: number) {
  const call = s.calls.open({ ingest: 'import', externalId: 'sherpa' });
  const legs = Array.from({ length: n }, (_, i) => s.calls.addLeg(call.info.callId, { role: i % 2 ? 'agent' : 'customer', label: String(i) }));
  const all = [...frames(pcm, rate)];
  for (const f of all) for (const leg of legs) s.bus.emit('leg.audio', { legId: leg.legId, samples: f.samples, sampleRate: rate, tMs: f.tMs });
  await s.stage.legsDone(legs.map((l) => l.legId), 60000);
  for (const leg of legs) {
    const finals = s.transcripts.filter((x) => x.final && x.legId === leg.legId);
    t.ok(finals.length >= 1, `leg ${leg.label}: ${finals.length} final(s)`);
    t.match(finals[0], { callId: call.info.callId, legId: leg.legId, role: leg.role, seq: 0, final: true });
    t.ok(finals.every((f) => typeof f.text === 'string' && f.endMs > f.startMs), 'timed finals');
    t.ok(s.events.some((e) => e.kind === 'speech' && e.legId === leg.legId), 'speech event');
  }
  return { call, legs };
}

t.test('the speech stage runs sherpa-onnx in its workers: several legs at once, same events as pocketsphinx', { skip: needModels }, async (t) => {
  requireModels(t);
  const { dataDir, manifestsDir } = installed(t, TR);
  const s = await sherpaStage(t, dataDir, manifestsDir, { model: TR, hotwords: ['supervisor'], provider: 'cpu' });
  t.match(s.stage.ready(), { ok: true, engine: 'sherpa', provider: 'cpu', detail: /tiny-zipformer2-transducer .*1 hot-words on 2 worker/ });
  t.notOk(s.stage.ready().code, 'no fallback');
  const dir = scratch(t);
  await say(t, 'i want to speak to your supervisor', join(dir, 's.wav'));
  await run(t, 'sox', [join(dir, 's.wav'), '-r', '8000', join(dir, 's8.wav'), 'pad', '0.5', '1.0']);
  const pcm = loadWav(join(dir, 's8.wav')).samples;
  await streamLegs(t, s, pcm, 8000, 4);
  t.ok(s.transcripts.some((x) => x.final && x.text.length > 0), 'speech decodes to (meaningless) text');
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_asr_finals_total'), /earshot_asr_finals_total\{engine="sherpa"\} [4-9]/);
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_speech_engine'), /earshot_speech_engine\{engine="sherpa",provider="cpu"\} 1/);
});

t.test('the stage names the error when the installed model is missing a file or is corrupt', { skip: needModels }, async (t) => {
  requireModels(t);
  const a = installed(t, CTC, 'model.onnx');
  const missing = await sherpaStage(t, a.dataDir, a.manifestsDir, { model: CTC }, 1);
  t.match(missing.stage.ready(), { ok: true, engine: 'pocketsphinx', code: 'EARSHOT_ERR_MODEL_MISSING', detail: /model file .*model.onnx is missing/ });
  t.match(await missing.metrics.registry.getSingleMetricAsString('earshot_asr_errors_total'), /code="EARSHOT_ERR_MODEL_MISSING"\} 1/);
  const b = installed(t, CTC);
  const model = join(b.dataDir, 'models', CTC, 'model.onnx');
  writeFileSync(model, readFileSync(model).subarray(0, 3000));
  // The engine choice alone (the stage around it is the same as above): probe, then fallback.
  const corrupt = await resolveEngine(validateConfig({ dataDir: b.dataDir, speech: { engine: 'sherpa', sherpa: { model: CTC } } }), { manifestsDir: b.manifestsDir });
  t.match(corrupt, { spec: { kind: 'pocketsphinx' }, code: 'EARSHOT_ERR_MODEL_LOAD', note: /model failed to load.*fell back to pocketsphinx/ });
});

// With a real model (EARSHOT_SHERPA_MODEL=<manifest name>, installed under EARSHOT_DATA_DIR or
// ./data): the same multi-leg run, plus a recognisable transcript for English models.
const REAL = process.env.EARSHOT_SHERPA_MODEL;
t.test('a real sherpa model through the stage', { skip: !REAL && 'EARSHOT_SHERPA_MODEL not set: no real model can be downloaded here' }, async (t) => {
  const s = await sherpaStage(t, process.env.EARSHOT_DATA_DIR ?? './data', fileURLToPath(new URL('../../models/', import.meta.url)), { model: REAL }, 1);
  t.match(s.stage.ready(), { ok: true, engine: 'sherpa' }, s.stage.ready().detail);
  const dir = scratch(t);
  const text = 'i want to speak to your supervisor';
  await say(t, text, join(dir, 's.wav'));
  await run(t, 'sox', [join(dir, 's.wav'), '-r', '8000', join(dir, 's8.wav'), 'pad', '0.5', '1.0']);
  const { legs } = await streamLegs(t, s, loadWav(join(dir, 's8.wav')).samples, 8000, 2);
  if (/en/.test(s.stage.ready().detail)) {
    const hyp = s.transcripts.filter((x) => x.final && x.legId === legs[0].legId).map((x) => x.text).join(' ');
    t.ok(wordErrorRate(text, hyp) <= 0.3, `recognisable: "${hyp}"`);
  }
});

t.test('speech.sherpa.provider: cuda is reported truthfully: the GPU when the build has it, else cpu with the reason', { skip: needModels }, async (t) => {
  requireModels(t);
  // The npm sherpa-onnx-linux-x64 build is CPU-only; a CUDA build ships onnxruntime's CUDA provider library.
  const lib = dirname(fileURLToPath(import.meta.resolve('sherpa-onnx-linux-x64/package.json')));
  const cudaBuild = readdirSync(lib).some((f) => f.includes('providers_cuda'));
  const { dataDir, manifestsDir } = installed(t, TR);
  const s = await sherpaStage(t, dataDir, manifestsDir, { model: TR, provider: 'cuda' }, 1);
  if (cudaBuild) {
    t.match(s.stage.ready(), { ok: true, engine: 'sherpa', provider: 'cuda' });
  } else {
    t.match(s.stage.ready(), { ok: true, engine: 'sherpa', provider: 'cpu', code: 'EARSHOT_ERR_GPU_UNAVAILABLE', detail: /provider cuda unusable: this sherpa-onnx build has no cuda support \(available: CPUExecutionProvider\); sherpa runs on cpu/ });
    t.match(await s.metrics.registry.getSingleMetricAsString('earshot_speech_engine'), /earshot_speech_engine\{engine="sherpa",provider="cpu"\} 1/);
    t.match(await s.metrics.registry.getSingleMetricAsString('earshot_asr_errors_total'), /code="EARSHOT_ERR_GPU_UNAVAILABLE"\} 1/);
  }
});

t.test('hot-words the model cannot spell are named in ready(); the rest still load', { skip: needModels }, async (t) => {
  requireModels(t);
  const { dataDir, manifestsDir } = installed(t, V1);
  const choice = await resolveEngine(validateConfig({ dataDir, speech: { engine: 'sherpa', sherpa: { model: V1, hotwords: ['经理', '不存在'] } } }), { manifestsDir });
  t.match(choice, { spec: { kind: 'sherpa', hotwords: ['经理', '不存在'] }, note: /hot-words the model cannot spell, skipped: 不 存 在$/ });
  t.notOk(choice.code, 'not a failure');
});
