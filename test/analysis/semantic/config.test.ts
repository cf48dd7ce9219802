// analysis.semantic settings: defaults, validation, and how they pick the server.
import t from 'tap';
import { validateConfig } from '../../../src/config/index.js';
import { createSemantic } from '../../../src/analysis/semantic/index.js';
import { createMetrics } from '../../../src/metrics/registry.js';

t.test('defaults: on, embedded, bounded waits', async (t) => {
  const c = validateConfig({}).analysis.semantic;
  t.same(c, { enabled: true, url: '', model: '', apiKey: '', timeoutMs: 2000, budgetMs: 250, batchSize: 32, cacheSize: 5000, embedded: true, prototypes: '', head: 'config/semantic/head-{lang}.json' });
});

t.test('bad settings are refused with the key named', async (t) => {
  t.throws(() => validateConfig({ analysis: { semantic: { url: 'http://127.0.0.1:9' } } }), /analysis\.semantic\.url needs analysis\.semantic\.model/u);
  t.throws(() => validateConfig({ analysis: { semantic: { url: 'ftp://x', model: 'm' } } }), /analysis\.semantic\.url/u);
  t.throws(() => validateConfig({ analysis: { semantic: { budgetMs: 0 } } }), /analysis\.semantic\.budgetMs/u);
  t.throws(() => validateConfig({ analysis: { semantic: { batchSize: 1000 } } }), /analysis\.semantic\.batchSize/u);
  t.throws(() => validateConfig({ analysis: { semantic: { timeoutMs: 10 } } }), /analysis\.semantic\.timeoutMs/u);
  t.throws(() => validateConfig({ analysis: { semantic: { embeded: true } } }), /embeded/u, 'a misspelt key is an error');
  t.doesNotThrow(() => validateConfig({ analysis: { semantic: { enabled: false, url: 'http://x' } } }), 'model not needed while off');
});

t.test('which server: off, external url, embedded; a bad prototypes file is counted, not fatal', async (t) => {
  const metrics = createMetrics({ defaults: false });
  t.equal(createSemantic(validateConfig({ analysis: { semantic: { enabled: false } } }), metrics), undefined, 'off');
  t.equal(createSemantic(validateConfig({ analysis: { semantic: { embedded: false } } }), metrics), undefined, 'no url and not embedded: nothing to ask');
  const ext = createSemantic(validateConfig({ analysis: { semantic: { url: 'http://127.0.0.1:9', model: 'bge-m3', prototypes: 'config/nope.yaml' } } }), metrics)!;
  t.teardown(() => ext.close());
  t.equal(ext.o.embedded, undefined, 'url set: no embedded server started');
  t.equal(ext.o.prototypes, undefined, 'unreadable prototypes: second opinion off');
  const bad = (await metrics.registry.getSingleMetric('earshot_bad_input_total')!.get()).values.find((v) => v.labels.parser === 'semantic-prototypes');
  t.equal(bad?.value, 1, 'counted as bad input');
});
