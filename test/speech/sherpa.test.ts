// The sherpa engine without a model (none can be downloaded here): token-to-word grouping and the
// recogniser configuration built from manifests. A real-model run is in models.test.ts
// (EARSHOT_SHERPA_MODEL).
import t from 'tap';
import { recognizerConfig, words } from '../../src/speech/engines/sherpa/index.js';
import type { ModelManifest } from '../../src/speech/models/manifest.js';

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
