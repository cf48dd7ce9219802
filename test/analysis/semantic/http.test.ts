// The OpenAI-compatible adapter against a real local HTTP server (rig.ts) whose failures we set.
import t, { type Test } from 'tap';
import { HttpEmbedder, SemanticError, prefixFor, semanticMetrics } from '../../../src/analysis/semantic/index.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { hashVector, startRig } from './rig.js';

async function value(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = metrics.registry.getSingleMetric(name);
  if (!m) return 0;
  const vals = (await m.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x));
  return vals.reduce((a, v) => a + v.value, 0);
}

// A generous timeout where the test is not about timeouts: a loaded CI machine can take longer than
// a live budget to answer even a local server.
function setup(t: Test, url: string, over: Partial<ConstructorParameters<typeof HttpEmbedder>[0]> = {}) {
  const metrics = createMetrics({ defaults: false });
  const e = new HttpEmbedder({ url, model: 'multilingual-e5-small', apiKey: 'sekret-key', timeoutMs: 5000, batchSize: 4, cacheSize: 100, metrics: semanticMetrics(metrics), ...over });
  t.teardown(() => e.close());
  return { e, metrics };
}

t.test('vectors come back normalised, in order, with key, model and e5 prefix', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { e } = setup(t, rig.url);
  const v = await e.embed(['hello there', '你好']);
  t.equal(v.length, 2);
  for (const x of v) t.ok(Math.abs(Math.hypot(...x) - 1) < 1e-5, 'unit length');
  const raw = hashVector('query: 你好');
  const n = Math.hypot(...raw);
  t.ok(Math.abs(v[1][0] - raw[0] / n) < 1e-5, 'second vector is the second text, prefixed');
  t.same(rig.requests[0].input, ['query: hello there', 'query: 你好'], 'e5: query prefix on every input');
  t.equal(rig.requests[0].auth, 'Bearer sekret-key');
  t.equal(rig.requests[0].model, 'multilingual-e5-small');
  t.equal(prefixFor('bge-m3'), 'none');
  t.equal(prefixFor('e5-query'), 'none', 'a model name carrying the modality: the server prefixes');
  t.equal(prefixFor('intfloat/multilingual-e5-base'), 'text');
});

t.test('calls in one tick are coalesced into batches of batchSize; repeats come from the cache', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { e, metrics } = setup(t, rig.url, { concurrency: 4 });
  const texts = ['a', 'b', 'c', 'd', 'e', 'f'];
  const got = await Promise.all(texts.map((x) => e.embed([x])));
  t.equal(got.length, 6);
  t.same(rig.requests.map((r) => r.input.length), [4, 2], 'six concurrent calls → two requests (batchSize 4)');
  await e.embed(['a', 'f', 'a']);
  t.equal(rig.requests.length, 2, 'cached texts are not asked for again');
  t.equal(await value(metrics, 'earshot_semantic_cache_hits_total'), 3);
  t.equal(await value(metrics, 'earshot_semantic_requests_total'), 2);
  // the same text asked twice while in flight goes once
  await Promise.all([e.embed(['zz']), e.embed(['zz'])]);
  t.same(rig.requests[2].input, ['query: zz']);
});

t.test('timeouts, 500s and garbage are SemanticErrors counted by reason', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { e, metrics } = setup(t, rig.url, { breaker: { threshold: 100 }, timeoutMs: 300 });
  rig.mode = 'hang';
  const t0 = Date.now();
  const err = await e.embed(['slow one']).catch((x: unknown) => x);
  t.ok(err instanceof SemanticError && err.reason === 'timeout', 'hung server → timeout');
  t.ok(Date.now() - t0 < 4000, 'bounded by timeoutMs, not the server (which never answers)');
  rig.mode = 'error';
  t.equal(((await e.embed(['x']).catch((x: unknown) => x)) as SemanticError).reason, 'http');
  rig.mode = 'garbage';
  t.equal(((await e.embed(['y']).catch((x: unknown) => x)) as SemanticError).reason, 'bad-response');
  rig.mode = 'short';
  t.equal(((await e.embed(['z']).catch((x: unknown) => x)) as SemanticError).reason, 'bad-response', 'fewer vectors than inputs');
  await rig.close();
  t.equal(((await e.embed(['w']).catch((x: unknown) => x)) as SemanticError).reason, 'network', 'server gone');
  for (const reason of ['timeout', 'http', 'bad-response', 'network']) t.ok((await value(metrics, 'earshot_semantic_failures_total', { reason })) >= 1, `failures{reason=${reason}}`);
});

t.test('the breaker opens after consecutive failures, fails fast, and a probe after the cooldown closes it', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  let now = 1_000_000;
  const { e, metrics } = setup(t, rig.url, { breaker: { threshold: 3, cooldownMs: 5000, now: () => now } });
  rig.mode = 'error';
  for (let i = 0; i < 3; i++) await e.embed([`f${i}`]).catch(() => {});
  t.equal(e.breaker.state, 'open');
  t.equal(await value(metrics, 'earshot_semantic_breaker_state'), 2);
  const before = rig.requests.length;
  const t0 = Date.now();
  const err = (await e.embed(['fast fail']).catch((x: unknown) => x)) as SemanticError;
  t.equal(err.reason, 'breaker-open');
  t.equal(rig.requests.length, before, 'an open circuit sends nothing');
  t.ok(Date.now() - t0 < 1000, 'and fails at once, well before the 5 s timeout');
  rig.mode = 'ok';
  now += 5000;
  t.equal(e.breaker.state, 'half-open');
  const [a, b] = await Promise.allSettled([e.embed(['probe']), new Promise((r) => setImmediate(r)).then(() => e.embed(['second']))]);
  t.equal(a.status, 'fulfilled', 'the probe goes through');
  t.equal(rig.requests.length, before + (b.status === 'fulfilled' ? 2 : 1));
  t.equal(e.breaker.state, 'closed', 'a good probe closes the circuit');
  t.equal(await value(metrics, 'earshot_semantic_breaker_state'), 0);
  // a failed probe opens it again
  rig.mode = 'error';
  for (let i = 0; i < 3; i++) await e.embed([`g${i}`]).catch(() => {});
  now += 5000;
  await e.embed(['bad probe']).catch(() => {});
  t.equal(e.breaker.state, 'open');
});

t.test('a server that only says base64 still works; texts are cached up to cacheSize', async (t) => {
  const { createServer } = await import('node:http');
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (d: Buffer) => (b += d));
    req.on('end', () => {
      const j = JSON.parse(b) as { input: string[] };
      const data = j.input.map((x, index) => ({ index, embedding: Buffer.from(Float32Array.from(hashVector(x)).buffer).toString('base64') }));
      res.end(JSON.stringify({ data }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => srv.close());
  const { e } = setup(t, `http://127.0.0.1:${(srv.address() as import('node:net').AddressInfo).port}/`, { cacheSize: 2, model: 'bge-m3' });
  const [v] = await e.embed(['b64']);
  const raw = hashVector('b64');
  t.ok(Math.abs(v[3] - raw[3] / Math.hypot(...raw)) < 1e-5, 'no prefix for a non-e5 model; base64 decoded');
  await e.embed(['x1', 'x2']);
  t.notOk(e.cached('b64'), 'least recently used entry evicted at cacheSize');
  t.ok(e.cached('x2'));
});
