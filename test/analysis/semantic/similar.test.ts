// The `similar` condition and `similar:` section: parsing, validation messages, how the rule
// engine consults the semantic layer; and the sentiment prototypes' file and second opinion.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CallRules, buildRuleSet, loadRules, similarConds, type SimilarCond } from '../../../src/analysis/rules/index.js';
import { loadPrototypes, secondOpinion, UNSURE } from '../../../src/analysis/semantic/index.js';

const build = (...texts: string[]) => buildRuleSet(texts.map((text, i) => ({ text, source: `f${i}.yaml` })));

t.test('similar as a condition and as a section for a rule of another file', async (t) => {
  const r = build(
    `rules:
  - id: esc
    speaker: customer
    when: {phrases: [supervisor]}
  - id: ask
    when: {similar: {examples: [can you help me, can you help me, 帮我查一下], threshold: 0.8}}`,
    `similar:
  esc:
    threshold: {en: 0.88, zh: 0.93}
    examples: [let me speak to your manager]`,
  );
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const conds = similarConds(r.set.rules);
  t.equal(conds.length, 2);
  const ask = conds.find((c) => c.examples.includes('can you help me'))!;
  t.same(ask.examples, ['can you help me', '帮我查一下'], 'duplicates dropped');
  t.equal(ask.threshold, 0.8);
  const esc = conds.find((c) => c.examples[0] === 'let me speak to your manager')!;
  t.same(esc.thresholds, { en: 0.88, zh: 0.93 });
  t.equal(esc.threshold, 0.9, 'default for other languages');

  // The engine asks the layer; the rule's speaker still applies.
  const rules = new CallRules(r.set);
  const facts = (role: 'customer' | 'agent', seq: number, similar?: (c: SimilarCond) => boolean) => ({ legId: role, role, seq, startMs: seq * 1000, endMs: seq * 1000 + 500, text: 'could i have a word with whoever runs the place', emotion: 'neutral' as const, sentiment: 0, redactions: [], similar });
  t.same(rules.onUtterance(facts('customer', 0)).map((h) => h.rule.id), [], 'no layer: no similar match');
  t.same(rules.onUtterance(facts('customer', 1, (c) => c === esc)).map((h) => h.rule.id), ['esc'], 'the layer says similar: the rule hits');
  t.same(rules.onUtterance(facts('agent', 2, (c) => c === esc)).map((h) => h.rule.id), [], 'speaker: customer still applies');
});

t.test("a rule's not: guards hold for its examples too", async (t) => {
  const r = build(
    `rules:
  - id: esc
    speaker: customer
    when:
      all:
        - phrases: [supervisor]
        - not: {phrases: [how helpful you]}`,
    `similar:
  esc: {examples: [let me speak to your manager]}`,
  );
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const [esc] = similarConds(r.set.rules);
  const rules = new CallRules(r.set);
  const say = (seq: number, text: string) => rules.onUtterance({ legId: 'c', role: 'customer', seq, startMs: seq * 1000, endMs: seq * 1000 + 500, text, emotion: 'neutral', sentiment: 0, redactions: [], similar: (c) => c === esc }).map((h) => h.rule.id);
  t.same(say(0, 'could i have a word with whoever runs the place'), ['esc'], 'like the examples: hits');
  t.same(say(1, 'i would like to tell whoever runs the place how helpful you were'), [], 'the guard excludes it, examples or not');
});

t.test('similar mistakes are located and explained', async (t) => {
  const bad = (yaml: string, re: RegExp, what: string) => {
    const r = build(yaml);
    t.notOk(r.ok, what);
    if (!r.ok) t.match(r.errors.join('\n'), re, what);
  };
  bad('rules:\n  - id: a\n    when: {similar: {examples: [x], threshold: 1.5}}', /f0\.yaml:3:\d+: rule "a" .*threshold: must be a number from 0\.5 to 1/u, 'threshold out of range');
  bad('rules:\n  - id: a\n    when: {similar: {examples: []}}', /similar\.examples must be a string or a non-empty list/u, 'no examples');
  bad('rules:\n  - id: a\n    when: {similar: {examples: [x], near: 3}}', /unknown key "near"/u, 'unknown key');
  bad('rules:\n  - id: a\n    when: {similar: [x]}', /similar must be a mapping/u, 'not a mapping');
  bad('rules:\n  - id: a\n    when: {phrases: [x]}\nsimilar:\n  nope: {examples: [x]}', /similar: examples for unknown rule "nope"/u, 'unknown rule id');
  bad('rules:\n  - id: a\n    when: {similar: {examples: [x], threshold: {en: 0.9, fr: 0.8}}}', /unknown key "fr"/u, 'unknown language');
  bad(`rules:\n  - id: a\n    when: {similar: {examples: ["${'x'.repeat(501)}"]}}`, /at most 500 characters/u, 'example too long');
});

t.test('the built-in similar.yaml loads with the packs and targets existing rules', async (t) => {
  const r = await loadRules('config/rules');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const conds = similarConds(r.set.rules);
  t.ok(conds.length >= 3, 'complaint, churn and escalation at least');
  for (const c of conds) {
    t.ok(c.examples.some((e) => /[a-z]/u.test(e)) && c.examples.some((e) => /\p{Script=Han}/u.test(e)), 'examples in both languages');
    t.ok(c.thresholds?.en && c.thresholds?.zh, 'a threshold per language');
  }
});

t.test('prototypes: file checks and the second opinion', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-proto-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'p.yaml');
  writeFileSync(f, 'negative: [bad]\nneutral: [ok]\npositive: [good]\n');
  t.same(loadPrototypes(f), { negative: ['bad'], neutral: ['ok'], positive: ['good'] });
  writeFileSync(f, 'negative: [bad]\nneutral: [ok]\n');
  t.throws(() => loadPrototypes(f), /positive must be a non-empty list/u);
  writeFileSync(f, 'negative: [bad]\nneutral: [ok]\npositive: [good]\nangry: [x]\n');
  t.throws(() => loadPrototypes(f), /unknown key "angry"/u);
  t.throws(() => loadPrototypes(join(dir, 'missing.yaml')), /ENOENT/u);
  t.doesNotThrow(() => loadPrototypes('config/semantic/sentiment.yaml'), 'the shipped set is valid');

  const unit = (...x: number[]) => {
    const v = Float32Array.from(x);
    const n = Math.hypot(...x);
    return v.map((y) => y / n);
  };
  const vecs = { negative: [unit(1, 0, 0)], neutral: [unit(0, 1, 0)], positive: [unit(0, 0, 1)] };
  t.equal(secondOpinion(0.1, unit(1, 0.2, 0), vecs), -0.35, 'nearest negative moves an unsure score');
  t.equal(secondOpinion(-0.1, unit(0, 0.2, 1), vecs), 0.35, 'nearest positive');
  t.equal(secondOpinion(0, unit(0.1, 1, 0), vecs), undefined, 'nearest neutral: the lexicon stands');
  t.equal(secondOpinion(0, unit(1, 1, 0), vecs), undefined, 'a tie: the lexicon stands');
  t.equal(secondOpinion(-UNSURE, unit(0, 0, 1), vecs), undefined, 'a sure lexicon score is not second-guessed');
});
