import t from 'tap';
import type { EmotionLabel, Role } from '../../src/call/types.js';
import { CallRules, buildRuleSet, loadRules, parseRuleSource, type RuleSet, type UtteranceFacts } from '../../src/analysis/rules/index.js';

function set(yaml: string): RuleSet {
  const r = buildRuleSet([{ text: yaml, source: 'test.yaml' }]);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.set;
}

let seq = 0;
function utt(role: Role, text: string, startS: number, extra: Partial<UtteranceFacts> = {}): UtteranceFacts {
  return { legId: `leg-${role}`, role, seq: seq++, startMs: startS * 1000, endMs: startS * 1000 + 2500, text, emotion: 'neutral' as EmotionLabel, sentiment: 0, redactions: [], ...extra };
}
const ids = (c: CallRules, u: UtteranceFacts) => c.onUtterance(u).map((h) => h.rule.id);

t.test('phrases: case-insensitive, word boundaries for English, substrings for Chinese', async (t) => {
  const c = new CallRules(set(`
rules:
  - id: esc
    when: { phrases: [manager, cancel*, 经理] }
`));
  t.same(ids(c, utt('customer', 'Get me your MANAGER', 1)), ['esc']);
  t.same(ids(c, utt('customer', 'a managerial decision', 2)), [], 'no match inside a longer word');
  t.same(ids(c, utt('customer', 'I am cancelling', 3)), ['esc'], 'explicit prefix');
  t.same(ids(c, utt('customer', '我要找你们经理', 4)), ['esc']);
  t.same(ids(c, utt('customer', '我要找 你们 经 理', 5)), ['esc'], 'recogniser spaces between characters');
});

t.test('near: both sides within N words, in both languages', async (t) => {
  const c = new CallRules(set(`
rules:
  - id: churn
    when: { near: { a: [cancel, 取消], b: [account, 套餐], words: 3 } }
`));
  t.same(ids(c, utt('customer', 'please cancel my account', 1)), ['churn']);
  t.same(ids(c, utt('customer', 'cancel the order, and by the way my account name changed', 2)), [], 'too far apart');
  t.same(ids(c, utt('customer', '我想取消这个套餐', 3)), ['churn']);
  t.same(ids(c, utt('customer', '取消', 4)), []);
});

t.test('speaker, first-N-seconds window, regex, emotion and sentiment conditions', async (t) => {
  const c = new CallRules(set(`
rules:
  - id: agent-hello
    speaker: agent
    window: { first: 30 }
    when: { phrases: [hello] }
  - id: order-no
    when: { regex: 'order (number|no\\.?) \\[DIGITS\\]' }
  - id: angry-neg
    speaker: customer
    when:
      all:
        - emotion: [angry]
        - sentiment: { lte: -0.5 }
`));
  t.same(ids(c, utt('customer', 'hello', 1)), [], 'customer, not agent');
  t.same(ids(c, utt('agent', 'hello', 35)), [], 'outside the window');
  t.same(ids(c, utt('agent', 'hello', 20)), ['agent-hello']);
  t.same(ids(c, utt('customer', 'my order number [DIGITS]', 40)), ['order-no']);
  t.same(ids(c, utt('customer', 'this is awful', 41, { emotion: 'angry', sentiment: -0.7 })), ['angry-neg']);
  t.same(ids(c, utt('customer', 'this is awful', 42, { emotion: 'frustrated', sentiment: -0.7 })), []);
  t.same(ids(c, utt('mixed', 'hello', 2)), [], 'a mixed leg is nobody in particular');
});

t.test('count: a competitor named once vs twice', async (t) => {
  const rules = set(`
lists:
  competitors: [contoso, verizon, 中国移动]
rules:
  - id: competitor
    speaker: customer
    when: { phrases: [$competitors] }
  - id: competitor-twice
    speaker: customer
    count: { gte: 2 }
    when: { phrases: [$competitors] }
`);
  const once = new CallRules(rules);
  t.same(ids(once, utt('customer', 'contoso offered me a better deal', 1)), ['competitor']);
  t.same(ids(once, utt('customer', 'anyway what about my bill', 5)), []);
  t.same(once.counts(), { competitor: 1 });
  const twice = new CallRules(rules);
  t.same(ids(twice, utt('customer', 'Contoso offered me a better deal', 1)), ['competitor']);
  t.same(ids(twice, utt('customer', '中国移动也比你们便宜', 5)), ['competitor', 'competitor-twice']);
  t.same(ids(twice, utt('customer', 'contoso again', 9)), ['competitor'], 'the count rule hits once');
});

t.test('absent and last-N-seconds rules settle at call end; NOT with hit', async (t) => {
  const rules = set(`
rules:
  - id: disclosure-missing
    speaker: agent
    window: { first: 30 }
    absent: true
    when: { phrases: [this call may be recorded, 通话可能会被录音] }
  - id: closing
    speaker: agent
    window: { last: 30 }
    when: { phrases: [anything else] }
  - id: verified
    speaker: agent
    when: { phrases: [verify your identity] }
  - id: details-before-verification
    speaker: agent
    when:
      all:
        - phrases: [your balance]
        - not: { hit: verified }
`);
  const late = new CallRules(rules);
  ids(late, utt('agent', 'hello, this call may be recorded', 35));
  ids(late, utt('agent', 'is there anything else', 60));
  ids(late, utt('customer', 'no thanks', 200));
  t.same(late.onEnd().map((h) => h.rule.id), ['disclosure-missing'], 'said at 35 s: missed; closing was not in the last 30 s');
  const ok = new CallRules(rules);
  ids(ok, utt('agent', '您好，本次通话可能会被录音', 20));
  t.same(ids(ok, utt('agent', 'your balance is [DIGITS]', 40)), ['details-before-verification']);
  ids(ok, utt('agent', 'let me verify your identity first', 50));
  t.same(ids(ok, utt('agent', 'your balance is [DIGITS]', 60)), [], 'after verification it is fine');
  ids(ok, utt('agent', 'anything else I can do', 90));
  const end = ok.onEnd();
  t.same(end.map((h) => h.rule.id), ['closing'], 'said at 20 s: disclosed; closing in the last 30 s');
  t.equal(end[0].at?.startMs, 90000, 'the closing hit cites its utterance');
  const mixed = new CallRules(rules);
  ids(mixed, utt('mixed', 'hello, how can I help', 1));
  t.same(mixed.onEnd(), [], 'no agent leg spoke: nothing is missing from it');
});

t.test('redacted: a card redaction is itself a category hit', async (t) => {
  const c = new CallRules(set(`
rules:
  - id: pci
    when: { redacted: [CARD, CVV] }
`));
  t.same(ids(c, utt('customer', 'it is [CARD]', 1, { redactions: ['CARD'] })), ['pci']);
  t.same(ids(c, utt('customer', 'it is [PHONE]', 2, { redactions: ['PHONE'] })), []);
});

t.test('once limits hits per call', async (t) => {
  const c = new CallRules(set(`
rules:
  - id: hi
    once: true
    when: { phrases: [hi] }
`));
  t.same(ids(c, utt('agent', 'hi', 1)), ['hi']);
  t.same(ids(c, utt('agent', 'hi', 2)), []);
});

t.test('errors name the file, line, rule and path', async (t) => {
  const cases: [string, RegExp][] = [
    ['rules:\n  - id: a\n    when: { phrases: [x]\n', /^f\.yaml:\d+:\d+: YAML syntax error/],
    ['rules:\n  - id: a\n    when:\n      near: { a: [x], b: [y], words: 0 }\n', /^f\.yaml:4:\d+: rule "a" rules\[0\]\.when\.near\.words: must be an integer from 1 to 50 \(got 0\)/],
    ['rules:\n  - id: a\n    speeker: agent\n    when: { phrases: [x] }\n', /^f\.yaml:3:\d+: rule "a" rules\[0\]\.speeker: unknown key "speeker"/],
    ['rules:\n  - id: a\n    when: { regex: "(" }\n', /^f\.yaml:3:\d+: rule "a" rules\[0\]\.when\.regex: invalid regex/],
    ['rules:\n  - id: a\n    when: { phrases: [$nope] }\n', /rule "a" rules\[0\]\.when\.phrases\[0\]: unknown list or concept "\$nope"/],
    ['rules:\n  - id: a\n    when: { phrases: [x], emotion: angry }\n', /rule "a" rules\[0\]\.when: a condition has exactly one key/],
    ['rules:\n  - id: a\n    when:\n      any:\n        - emotion: furious\n', /^f\.yaml:5:\d+: rule "a" rules\[0\]\.when\.any\[0\]\.emotion: emotion must be one of/],
    ['rules:\n  - id: Bad Id\n    when: { phrases: [x] }\n', /^f\.yaml:2:\d+: rules\[0\]\.id: id must match/],
    ['rules:\n  - id: a\n', /rule "a" rules\[0\]: when is required/],
    ['rules:\n  - id: a\n    absent: true\n    count: { gte: 2 }\n    when: { phrases: [x] }\n', /count and absent cannot be combined/],
    ['- just a list\n', /^f\.yaml:1:1: top level must be a mapping/],
  ];
  for (const [yaml, re] of cases) {
    const r = parseRuleSource(yaml, 'f.yaml');
    t.equal(r.rules.length, 0);
    t.match(r.errors.join('\n'), re, re.source.slice(0, 40));
  }
});

t.test('set-level errors: duplicate ids, unknown and cyclic references', async (t) => {
  const dup = buildRuleSet([
    { text: 'rules:\n  - id: a\n    when: { phrases: [x] }\n', source: 'one.yaml' },
    { text: 'rules:\n  - id: b\n    when: { phrases: [y] }\n  - id: a\n    when: { phrases: [z] }\n', source: 'two.yaml' },
  ]);
  t.notOk(dup.ok);
  t.match(!dup.ok && dup.errors[0], /^two\.yaml:4: rule "a": id already used at one\.yaml:2/);
  const unknown = buildRuleSet([{ text: 'rules:\n  - id: a\n    when: { not: { hit: ghost } }\n', source: 'u.yaml' }]);
  t.match(!unknown.ok && unknown.errors[0], /rule "a": hit refers to unknown rule "ghost"/);
  const cycle = buildRuleSet([{ text: 'rules:\n  - id: a\n    when: { hit: b }\n  - id: b\n    when: { hit: a }\n', source: 'c.yaml' }]);
  t.match(!cycle.ok && cycle.errors.join(), /form a cycle/);
});

t.test('hit references are evaluated after the rule they name, whatever the file order', async (t) => {
  const c = new CallRules(set(`
rules:
  - id: after
    when: { hit: first }
  - id: first
    when: { phrases: [go] }
`));
  t.same(ids(c, utt('agent', 'go', 1)), ['first', 'after']);
});

t.test('loadRules reads a directory and reports unreadable ones', async (t) => {
  const dir = t.testdir({
    'a.yaml': 'rules:\n  - id: a\n    when: { phrases: [x] }\n',
    'b.yml': 'rules:\n  - id: b\n    when: { phrases: [y] }\n',
    'notes.txt': 'ignored',
  });
  const r = await loadRules(dir);
  t.ok(r.ok);
  t.same(r.ok && r.set.rules.map((x) => x.id), ['a', 'b']);
  const missing = await loadRules(`${dir}/nope`);
  t.match(!missing.ok && missing.errors[0], /cannot read rules directory \(ENOENT\)/);
});

t.test('the built-in packs load', async (t) => {
  const r = await loadRules('config/rules');
  t.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const got = r.ok ? r.set.rules.map((x) => x.id) : [];
  for (const id of ['complaint', 'churn-intent', 'competitor-mention', 'competitor-repeated', 'escalation-request', 'abusive-language', 'agent-greeting', 'agent-name', 'agent-closing', 'recording-disclosure-missing', 'account-details-before-verification', 'pci-card-spoken']) {
    t.ok(got.includes(id), id);
  }
  t.equal(r.ok && r.set.scorecards.find((c) => c.id === 'default')?.items.length, 20, 'default QA form has 20 items');
});

t.test('QA scorecards: weighted items, applicability, evidence', async (t) => {
  const yaml = `
rules:
  - id: greet
    speaker: agent
    when: { phrases: [hello] }
  - id: complaint
    speaker: customer
    when: { phrases: [complaint] }
  - id: sorry
    speaker: agent
    when: { phrases: [sorry] }
  - id: swear
    when: { phrases: [damn] }
scorecard:
  id: form
  name: Test form
  items:
    - { id: greeting, label: Greeted, weight: 2, pass: { hit: greet } }
    - { id: apology, label: Apologised after a complaint, weight: 3, applies: { hit: complaint }, pass: { hit: sorry } }
    - { id: clean, label: No swearing, weight: 5, pass: { noHit: swear } }
    - { id: calm-end, label: Calm end, weight: 1, pass: { end: [neutral, satisfied] } }
`;
  const rules = set(yaml);
  t.equal(rules.scorecards.length, 1);
  const { scoreCall } = await import('../../src/analysis/rules/index.js');
  const c = new CallRules(rules);
  c.onUtterance(utt('agent', 'hello there', 1, { utteranceId: 7 }));
  c.onUtterance(utt('customer', 'damn this thing', 5, { utteranceId: 8 }));
  const r = scoreCall(rules.scorecards[0], { evidence: (id) => c.evidence(id), hit: c.hit, end: 'frustrated' });
  t.equal(r.score, 25, '2 of 8 applicable points');
  t.same(r.items.map((i) => i.passed), [true, null, false, false]);
  t.same(r.items[0].evidence, [{ legId: 'leg-agent', seq: r.items[0].evidence[0].seq, utteranceId: 7 }]);
  t.same(r.items[2].evidence.map((e) => e.utteranceId), [8], 'a failed item cites what failed it');
  const bad = buildRuleSet([{ text: 'scorecard:\n  id: f\n  items:\n    - { id: a, label: A, weight: 1, pass: { hit: ghost } }\n    - { id: b, label: B, weight: 0, pass: { end: [calm] } }\n', source: 'q.yaml' }]);
  t.notOk(bad.ok);
  const errs = bad.ok ? '' : bad.errors.join('\n');
  t.match(errs, /q\.yaml:5:\d+: rule "scorecard f" scorecard\.items\[1\]\.weight: must be a number from 0\.1 to 100/);
  t.match(errs, /scorecard\.items\[1\]\.pass\.end\[0\]: end must be one of/);
  const unknown = buildRuleSet([{ text: 'scorecard:\n  id: f\n  items:\n    - { id: a, label: A, weight: 1, pass: { hit: ghost } }\n', source: 'q.yaml' }]);
  t.match(!unknown.ok && unknown.errors[0], /scorecard "f": refers to unknown rule "ghost"/);
});

t.test('a hit the semantic head adds respects the rule\'s vetoes', async (t) => {
  const c = new CallRules(set(`
rules:
  - id: esc
    speaker: customer
    when:
      all:
        - phrases: [speak to your supervisor]
        - not: { phrases: [how helpful you] }
  - id: bare
    speaker: customer
    when: { not: { phrases: [thank you] } }
`));
  const commend = utt('customer', 'could you tell me the name of your supervisor i would like to say how helpful you were', 1);
  t.notOk(ids(c, commend).includes('esc'), 'the rule itself does not match');
  t.equal(c.addHit('esc', commend), undefined, 'nor can the head add it: the veto matches');
  const ask = utt('customer', 'i need someone above you right now', 2);
  t.equal(c.addHit('esc', ask)?.rule.id, 'esc', 'without the veto the head may add what the phrases missed');
  t.equal(c.addHit('bare', utt('customer', 'thank you so much', 3)), undefined, 'a top-level not is a veto too');
  t.equal(c.addHit('esc', utt('agent', 'i will get my supervisor', 4)), undefined, 'speaker still respected');
});
