// The analysis stage with the semantic layer: `similar` examples matched by the real embedded
// server; a slow, hung or dead server (rig.ts, a real local HTTP server) never stalls live
// analysis: utterances come out with rules only, within the budget, and the fallbacks are counted.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { createAnalysis } from '../../../src/analysis/index.js';
import { embeddedBinary } from '../../../src/analysis/semantic/index.js';
import { PipelineBus } from '../../../src/call/events.js';
import type { Utterance } from '../../../src/call/types.js';
import { validateConfig } from '../../../src/config/index.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { startRig } from './rig.js';

const RULES = `
rules:
  - id: escalation
    speaker: customer
    when: {phrases: [supervisor, 主管]}
  - id: polite-ask
    speaker: customer
    when:
      similar:
        threshold: 0.9
        examples: [could you please help me with my order, 麻烦你帮我查一下订单]
similar:
  escalation:
    threshold: 0.9
    examples:
      - let me speak to your manager
      - i want to talk to someone above you
      - 叫你们领导来跟我说
`;

function rulesDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-sem-'));
  writeFileSync(join(dir, 'rules.yaml'), RULES);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function value(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = metrics.registry.getSingleMetric(name);
  if (!m) return 0;
  return (await m.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x)).reduce((a, v) => a + v.value, 0);
}

async function setup(t: Test, semantic: Record<string, unknown>) {
  const bus = new PipelineBus();
  const metrics = createMetrics({ defaults: false });
  const config = validateConfig({ analysis: { rulesDir: rulesDir(t), semantic: { prototypes: '', ...semantic } } });
  const stage = await createAnalysis({ config, log: pino({ level: 'silent' }), bus, metrics });
  t.teardown(() => stage.close());
  const got: Utterance[] = [];
  bus.on('utterance', (u) => got.push(u));
  let seq = 0;
  const say = (text: string, callId = 'c1') => bus.emit('transcript', { callId, legId: `${callId}-cust`, role: 'customer', seq: seq++, text, startMs: seq * 3000, endMs: seq * 3000 + 2000, final: true });
  return { bus, metrics, stage, got, say };
}

/** Polls a condition (bounded): for effects seen only through metrics. */
async function until(pred: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred()) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

const installed = existsSync(embeddedBinary());
if (!installed && process.env.CI) t.fail('the embedded server must be installed in CI (scripts/setup-embeddings.sh)');

t.test('similar examples match paraphrases through the real embedded server, in both languages', { skip: installed ? false : 'embedded server not installed (scripts/setup-embeddings.sh)', timeout: 120_000 }, async (t) => {
  const s = await setup(t, { budgetMs: 5000 });
  t.ok(await s.stage.semanticPrimed(60_000), 'server up, examples embedded');
  t.equal(s.stage.semantic().state, 'ok');
  s.say('can i talk to your manager please');
  s.say('让你们领导来跟我说话');
  s.say('what time does the branch open on saturday');
  s.say('i need a supervisor now');
  s.say('could you help me with my order please');
  await s.stage.idle();
  t.same(s.got.map((u) => u.categories), [['escalation'], ['escalation'], [], ['escalation'], ['polite-ask']]);
  t.equal(await value(s.metrics, 'earshot_semantic_fallbacks_total'), 0, 'no fallback while the server answers');
});

t.test('a slow server: utterances go on with rules only after budgetMs, counted', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const s = await setup(t, { url: rig.url, model: 'test-model', budgetMs: 50, timeoutMs: 5000 });
  t.ok(await s.stage.semanticPrimed(5000), 'examples embedded while the server is quick');
  rig.delayMs = 3000;
  const t0 = Date.now();
  s.say('i need a supervisor now');
  s.say('something else entirely');
  await s.stage.idle();
  const waited = Date.now() - t0;
  t.ok(waited < 2000, `analysed without waiting for the server (${waited} ms; budget 50, server 3000)`);
  t.same(s.got.map((u) => u.categories), [['escalation'], []], 'rules still hit');
  t.equal(await value(s.metrics, 'earshot_semantic_fallbacks_total', { reason: 'budget' }), 2);
});

t.test('a hung server opens the breaker: later utterances do not wait at all (recovery: http.test.ts)', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const s = await setup(t, { url: rig.url, model: 'test-model', budgetMs: 30, timeoutMs: 100 });
  t.ok(await s.stage.semanticPrimed(5000));
  rig.mode = 'hang';
  // Utterances until five requests in a row have timed out (the breaker's threshold); each one
  // is analysed after its 30 ms budget while its request hangs until the 100 ms timeout.
  const timeouts = () => value(s.metrics, 'earshot_semantic_failures_total', { reason: 'timeout' });
  const open = async () => (await value(s.metrics, 'earshot_semantic_breaker_state')) === 2;
  for (let i = 0; i < 50 && !(await open()); i++) {
    const n = await timeouts();
    s.say(`utterance number ${i}`);
    await s.stage.idle();
    await until(async () => (await timeouts()) > n, 2000);
  }
  t.equal(s.stage.semantic().state, 'degraded', '/readyz shows the layer degraded');
  const before = s.got.length;
  s.say('i need a supervisor now');
  t.equal(s.got.length, before + 1, 'with the circuit open the utterance is analysed at once, synchronously');
  t.same(s.got.at(-1)?.categories, ['escalation']);
  t.ok((await value(s.metrics, 'earshot_semantic_fallbacks_total', { reason: 'breaker-open' })) >= 1, 'counted as breaker-open fallback');
  t.ok((await value(s.metrics, 'earshot_semantic_failures_total', { reason: 'timeout' })) >= 5);
  t.equal(await value(s.metrics, 'earshot_semantic_breaker_state'), 2);
  t.equal(rig.requests.length, 1 + (await timeouts()), 'nothing sent while open (the examples, then one request per timeout)');
});

t.test('a server that is down: rules carry on, failures counted as network', async (t) => {
  const rig = await startRig();
  const url = rig.url;
  await rig.close();
  const s = await setup(t, { url, model: 'test-model', budgetMs: 100, timeoutMs: 200 });
  s.say('i need a supervisor now');
  s.say('hello');
  await s.stage.idle();
  t.same(s.got.map((u) => u.categories), [['escalation'], []]);
  t.ok((await value(s.metrics, 'earshot_semantic_fallbacks_total')) >= 2, 'both utterances counted as fallbacks');
  await until(async () => (await value(s.metrics, 'earshot_semantic_failures_total', { reason: 'network' })) > 0, 2000);
  t.ok((await value(s.metrics, 'earshot_semantic_failures_total', { reason: 'network' })) > 0, 'connection refused counted as network');
  t.notOk(await s.stage.semanticPrimed(1000), 'cannot be primed');
});

t.test('semantic off: state off, no embeddings, synchronous analysis', async (t) => {
  const s = await setup(t, { enabled: false });
  t.same(s.stage.semantic().state, 'off');
  s.say('let me speak to your manager');
  t.equal(s.got.length, 1, 'delivered synchronously');
  t.same(s.got[0].categories, [], 'similar never matches without the layer');
});
