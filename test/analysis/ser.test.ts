import { writeFile } from 'node:fs/promises';
import t from 'tap';
import { loadSer, SER_FEATURES } from '../../src/analysis/emotion/ser.js';
import { linearModel } from './onnx-fixture.js';

// Feature order: f0MeanHz f0StdHz rmsDb rmsStdDb voicedRatio rate arousal sentiment.
// Scores: angry = 2·arousal − 2·sentiment, frustrated = −arousal − 2·sentiment, neutral = 0.5, satisfied = 3·sentiment.
const W = SER_FEATURES.map((f) =>
  f === 'arousal' ? [2, -1, 0, 0] : f === 'sentiment' ? [-2, -2, 0, 3] : [0, 0, 0, 0],
);
const B = [0, 0, 0.5, 0];
const prosody = { f0MeanHz: 150, f0StdHz: 30, rmsDb: -20, rmsStdDb: 5, voicedRatio: 0.7 };

t.test('a generated ONNX model classifies through onnxruntime', async (t) => {
  const dir = t.testdir();
  const path = `${dir}/ser.onnx`;
  await writeFile(path, linearModel(W, B));
  const ser = await loadSer(path);
  t.teardown(() => ser.close());
  const angry = await ser.classify({ prosody, arousal: 2, sentiment: -0.6 });
  t.equal(angry.emotion, 'angry');
  t.ok(angry.confidence > 0.5 && angry.confidence <= 1);
  t.equal(angry.probs.length, 4);
  t.equal((await ser.classify({ prosody, arousal: -1, sentiment: -0.7 })).emotion, 'frustrated');
  t.equal((await ser.classify({ prosody, arousal: 0, sentiment: 0.8 })).emotion, 'satisfied');
  t.equal((await ser.classify({ prosody, sentiment: 0 })).emotion, 'neutral', 'missing arousal is 0');
});

t.test('a missing file or a model of the wrong shape fails at load with a clear error', async (t) => {
  const dir = t.testdir();
  await t.rejects(loadSer(`${dir}/none.onnx`), { code: 'EARSHOT_ERR_MODEL_MISSING', message: /cannot be loaded/ });
  await writeFile(`${dir}/three.onnx`, linearModel(W.map((r) => r.slice(0, 3)), B.slice(0, 3)));
  await t.rejects(loadSer(`${dir}/three.onnx`), { code: 'EARSHOT_ERR_MODEL_MISSING', message: /must output 4 finite scores/ });
  await writeFile(`${dir}/wide.onnx`, linearModel([...W, [0, 0, 0, 0]], B));
  await t.rejects(loadSer(`${dir}/wide.onnx`), { code: 'EARSHOT_ERR_MODEL_MISSING', message: /does not fit the contract/ });
  await writeFile(`${dir}/junk.onnx`, 'not a model');
  await t.rejects(loadSer(`${dir}/junk.onnx`), { code: 'EARSHOT_ERR_MODEL_MISSING' });
});

t.test('provider cuda: a host without the CUDA provider libraries runs the model on the cpu and says why', async (t) => {
  const dir = t.testdir();
  const path = `${dir}/ser.onnx`;
  await writeFile(path, linearModel(W, B));
  const ser = await loadSer(path, { provider: 'cuda' });
  t.teardown(() => ser.close());
  // This machine (and CI) has no GPU and the npm build has no CUDA provider: the fallback is the real one.
  t.equal(ser.provider, 'cpu');
  t.match(ser.providerFallback, /\S/, 'onnxruntime said why');
  t.equal((await ser.classify({ prosody, arousal: 2, sentiment: -0.6 })).emotion, 'angry', 'and it still classifies');
  const cpu = await loadSer(path, { provider: 'cpu' });
  t.teardown(() => cpu.close());
  t.same([cpu.provider, cpu.providerFallback], ['cpu', undefined]);
});
