// Concept classes ($name shared by every pack), word forms and bilingual names, on the real parser
// and evaluator; then the built-in packs on paraphrases nobody wrote into them.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { EmotionLabel, Role } from '../../../src/call/types.js';
import { CallRules, buildRuleSet, loadRules, parseRuleSource, type RuleSet } from '../../../src/analysis/rules/index.js';

const RULES = fileURLToPath(new URL('../../../config/rules/', import.meta.url));

function set(...texts: string[]): RuleSet {
  const r = buildRuleSet(texts.map((text, i) => ({ text, source: `p${i}.yaml` })));
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.set;
}
const errorsOf = (...texts: string[]) => {
  const r = buildRuleSet(texts.map((text, i) => ({ text, source: `p${i}.yaml` })));
  return r.ok ? [] : r.errors;
};

let seq = 0;
function hits(s: RuleSet, text: string, role: Role = 'customer', emotion: EmotionLabel = 'neutral', sentiment = 0): string[] {
  const c = new CallRules(s);
  return c.onUtterance({ legId: `leg-${role}`, role, seq: seq++, startMs: 60_000, endMs: 62_000, text, emotion, sentiment, redactions: [] }).map((h) => h.rule.id);
}

t.test('a concept defined in one source is used by another, in phrases and near, nested', async (t) => {
  const s = set(
    `concepts:
  wait: { en: [wait~, on hold], zh: [等了, 排队] }
  long: [hour*, minute*, 小时]
  long-wait: [$wait, forever]
`,
    `rules:
  - id: waited
    speaker: customer
    when: { near: { a: [$wait], b: [$long], words: 4 } }
  - id: any-wait
    when: { phrases: [$long-wait] }
`,
  );
  t.same(hits(s, 'i have been waiting for two hours'), ['waited', 'any-wait']);
  t.same(hits(s, 'on hold for forty minutes'), ['waited', 'any-wait']);
  t.same(hits(s, '排队排了三个小时'), ['waited', 'any-wait'], 'jieba words for the distance');
  t.same(hits(s, 'it took forever'), ['any-wait'], 'the nested concept adds its own phrase');
  t.same(hits(s, 'the waiter was rude'), [], 'word forms, not any prefix');
  t.same(hits(s, 'i have been waiting for two hours', 'agent'), ['any-wait'], 'speaker still applies');
});

t.test('definitions of one name in several sources merge (a site adds its competitors)', async (t) => {
  const s = set('concepts:\n  competitors: [contoso]\nrules:\n  - id: comp\n    when: { phrases: [$competitors] }\n', 'concepts:\n  competitors: [zorbix, 星辰通信]\n');
  t.same(hits(s, 'contoso is cheaper'), ['comp']);
  t.same(hits(s, 'zorbix is cheaper'), ['comp']);
  t.same(hits(s, '星辰通信那边便宜'), ['comp']);
  const empty = set('concepts:\n  products: []\nrules:\n  - id: prod\n    when: { phrases: [$products] }\n');
  t.same(hits(empty, 'anything at all'), [], 'an empty concept matches nothing');
  const local = set('concepts:\n  x: [shared]\n', 'lists:\n  x: [local]\nrules:\n  - id: r\n    when: { phrases: [$x] }\n');
  t.same([hits(local, 'local'), hits(local, 'shared')], [['r'], []], "a file's own list of the same name wins");
});

t.test('errors: unknown concepts and cycles with their positions, bad names and shapes', async (t) => {
  t.match(errorsOf('rules:\n  - id: a\n    when: { phrases: [ok, $nope] }\n').join('\n'), /^p0\.yaml:3:27: rule "a" rules\[0\]\.when\.phrases\[1\]: unknown list or concept "\$nope"/);
  t.match(errorsOf('rules:\n  - id: a\n    when: { near: { a: [x], b: [$nope] } }\n').join('\n'), /^p0\.yaml:3:\d+: rule "a" rules\[0\]\.when\.near\.b\[0\]: unknown list or concept "\$nope"/);
  t.match(errorsOf('concepts:\n  a: [x, $missing]\n').join('\n'), /^p0\.yaml:2:10: concepts\.a\[1\]: unknown concept "\$missing"/);
  const cycle = errorsOf('concepts:\n  a: [x, $b]\n', 'concepts:\n  b:\n    en: [y]\n    zh: [$c]\n  c: [$a]\n');
  t.equal(cycle.length, 1, 'a cycle is reported once');
  t.match(cycle[0], /^p1\.yaml:5:7: concepts\.c\[0\]: concepts form a cycle \(a → b → c → a\)/);
  t.match(errorsOf('concepts:\n  a: [$a]\n').join('\n'), /concepts form a cycle \(a → a\)/);
  t.match(errorsOf('concepts:\n  Bad_Name: [x]\n').join('\n'), /^p0\.yaml:2:\d+: concepts\.Bad_Name: concept name must match/);
  t.match(errorsOf('concepts:\n  a: x\n').join('\n'), /^p0\.yaml:2:6: concepts\.a: must be a list of phrases/);
  t.match(errorsOf('concepts:\n  a: { en: [x], fr: [y] }\n').join('\n'), /concepts\.a\.fr: unknown key "fr" \(allowed: en, zh\)/);
  t.match(errorsOf('concepts:\n  a: [x, 12]\n').join('\n'), /concepts\.a\[1\]: concept entries must be non-empty strings/);
  t.match(errorsOf('concepts: [x]\n').join('\n'), /concepts must map names to lists/);
  // Parsed alone (no shared table), a file still sees its own concepts.
  t.same(parseRuleSource('concepts:\n  c: [hello]\nrules:\n  - id: r\n    when: { phrases: [$c] }\n', 'x.yaml').errors, []);
});

t.test('word forms: inflections, contractions and apostrophes, Chinese gaps', async (t) => {
  const s = set(`rules:
  - id: charge
    when: { phrases: [charge~ twice] }
  - id: stop
    when: { phrases: [stop~ working] }
  - id: reply
    when: { phrases: [never reply~] }
  - id: notfixed
    when: { phrases: [not fixed] }
  - id: leaving
    when: { phrases: [i'm leaving] }
  - id: queue
    when: { phrases: ['排*还没'] }
`);
  t.same(hits(s, 'i was charged twice'), ['charge']);
  t.same(hits(s, 'you keep charging twice'), ['charge']);
  t.same(hits(s, 'the app stopped working'), ['stop'], 'stop → stopped');
  t.same(hits(s, 'they never replied'), ['reply'], 'reply → replied');
  t.same(hits(s, 'it isnt fixed'), ['notfixed'], '"isnt" is "is not"');
  t.same(hits(s, "it isn't fixed"), ['notfixed']);
  t.same(hits(s, 'im leaving'), ['leaving'], 'the phrase and the text fold alike');
  t.same(hits(s, 'I am leaving'), ['leaving']);
  t.same(hits(s, '排了三个小时还没轮到'), ['queue'], 'up to 6 characters between');
  t.same(hits(s, '排队的时候我看了一下手机上面说还没'), [], 'not across a whole clause');
});

t.test('names: a plain string, or one per language; bad names are located', async (t) => {
  const r = parseRuleSource(`rules:
  - id: a
    name: Churn intent
    when: { phrases: [x] }
  - id: b
    name: { en: Churn intent, zh: 流失意向 }
    when: { phrases: [x] }
  - id: c
    name: { zh: 只有中文 }
    when: { phrases: [x] }
`, 'n.yaml');
  t.same(r.errors, []);
  t.same(r.rules.map((x) => [x.id, x.name, x.names]), [
    ['a', 'Churn intent', undefined],
    ['b', 'Churn intent', { en: 'Churn intent', zh: '流失意向' }],
    ['c', '只有中文', { zh: '只有中文' }],
  ]);
  t.match(parseRuleSource('rules:\n  - id: a\n    name: { en: A, de: B }\n    when: { phrases: [x] }\n', 'n.yaml').errors.join('\n'), /n\.yaml:3:\d+: rule "a" rules\[0\]\.name\.de: unknown key "de"/);
  t.match(parseRuleSource('rules:\n  - id: a\n    name: { en: "" }\n    when: { phrases: [x] }\n', 'n.yaml').errors.join('\n'), /rules\[0\]\.name\.en: name\.en must be a non-empty string/);
  t.match(parseRuleSource('rules:\n  - id: a\n    name: 5\n    when: { phrases: [x] }\n', 'n.yaml').errors.join('\n'), /rules\[0\]\.name: name must be a string or \{en: \.\.\., zh: \.\.\.\}/);
});

t.test('built-in packs: every rule has an en and a zh name', async (t) => {
  const r = await loadRules(RULES);
  t.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  if (!r.ok) return;
  for (const id of ['complaint', 'churn-intent', 'escalation-request', 'agent-escalation', 'competitor-mention', 'competitor-repeated', 'abusive-language', 'customer-question', 'customer-praise', 'product-mention']) {
    t.ok(r.set.rules.some((x) => x.id === id), `${id} is built in`);
  }
  const unnamed = r.set.rules.filter((x) => !x.names?.en || !x.names.zh).map((x) => x.id);
  t.same(unnamed, [], 'no rule without both names');
});

// Paraphrases written for this test (not taken from any corpus), and near misses.
t.test('built-in packs catch paraphrases in both languages and keep their precision', async (t) => {
  const r = await loadRules(RULES);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const s = r.set;
  const cases: [text: string, role: Role, want: string[], not: string[]][] = [
    ['i have been waiting for forty minutes and nobody has solved my problem', 'customer', ['complaint'], []],
    ['ive been stuck on hold for over an hour', 'customer', ['complaint'], []],
    ['this is the third time i am calling about the same thing', 'customer', ['complaint'], []],
    ['you promised someone would ring me back on friday and nobody did', 'customer', ['complaint'], []],
    ['you took the payment twice and i still havent had it back', 'customer', ['complaint'], []],
    ['the internet keeps dropping every evening', 'customer', ['complaint'], []],
    ['oh brilliant the parcel went to the wrong address again', 'customer', ['complaint'], ['customer-praise']],
    ['honestly no complaints it all went smoothly', 'customer', [], ['complaint']],
    ['if this is not fixed today i am closing my account', 'customer', ['churn-intent', 'complaint'], []],
    ['i want to switch to another provider', 'customer', ['churn-intent'], []],
    ['i am cancelling my membership today', 'customer', ['churn-intent'], []],
    ['can i cancel the order or only change it', 'customer', ['customer-question'], ['churn-intent']],
    ['i need to cancel my dentist appointment on tuesday', 'customer', [], ['churn-intent']],
    ['i want to talk to someone above you', 'customer', ['escalation-request'], []],
    ['get me your supervisor right now', 'customer', ['escalation-request'], []],
    ['i will be reporting this to the regulator', 'customer', ['escalation-request'], []],
    ['let me transfer you to my supervisor', 'agent', ['agent-escalation'], ['escalation-request']],
    ['my manager asked me to call you about the invoice', 'customer', [], ['escalation-request']],
    ['fabrikam offered me a cheaper plan', 'customer', ['competitor-mention'], []],
    ['i was with westfield bank before and they never charged this', 'customer', ['competitor-mention'], []],
    ['you people are useless idiots', 'customer', ['abusive-language'], []],
    ['thank you so much you have been really helpful', 'customer', ['customer-praise'], ['complaint']],
    ['what time do you open on saturday', 'customer', ['customer-question'], ['complaint']],
    ['叫你们领导来跟我说', 'customer', ['escalation-request'], []],
    ['我要找你们经理', 'customer', ['escalation-request'], []],
    ['你们重复扣了我两次钱到现在还没退', 'customer', ['complaint'], []],
    ['挂号排了三个小时还没轮到', 'customer', ['complaint'], []],
    ['我已经打了五六次电话了还是没人处理', 'customer', ['complaint'], []],
    ['退款申请了一个多月了钱还没到账', 'customer', ['complaint'], []],
    ['宽带又断了修了好几次都没修好', 'customer', ['complaint'], []],
    ['再这样下去我就销户不用你们了', 'customer', ['churn-intent'], []],
    ['我打算把号码转到联通去', 'customer', ['churn-intent', 'competitor-mention'], []],
    ['我再也不在你们这买东西了', 'customer', ['churn-intent'], []],
    ['我要打12315投诉你们', 'customer', ['escalation-request'], []],
    ['好的我帮您转接值班经理请稍等', 'agent', ['agent-escalation'], ['escalation-request']],
    ['京东那边当天就送到了', 'customer', ['competitor-mention'], []],
    ['你们是不是脑子有问题', 'customer', ['abusive-language'], []],
    ['谢谢你们服务态度很好', 'customer', ['customer-praise'], ['complaint']],
    ['请问营业厅几点关门', 'customer', ['customer-question'], ['complaint']],
    ['我没有不满意就是想问一下', 'customer', [], ['complaint']],
    ['nobody ever gets back to me its like talking to a wall', 'customer', ['complaint'], []],
    ['you have billed me for a phone i sent back in june', 'customer', ['complaint'], []],
    ['i have been passed from pillar to post all morning', 'customer', ['complaint'], []],
    ['i will be taking my mortgage elsewhere when the deal ends', 'customer', ['churn-intent'], []],
    ['is there a manager i can talk to', 'customer', ['escalation-request'], []],
    ['i lost my card yesterday so i need a new one', 'customer', [], ['complaint', 'churn-intent']],
    ['i want to move my savings into the fixed rate account', 'customer', [], ['churn-intent']],
    ['约好了下午来结果根本没来', 'customer', ['complaint'], []],
    ['这个手机才用了两天就开不了机了', 'customer', ['complaint'], []],
    ['我明明没开通这个业务怎么会扣费', 'customer', ['complaint'], []],
    ['下个月合约到期我就不续了', 'customer', ['churn-intent'], []],
    ['我想把钱转到我老婆的卡上', 'customer', [], ['churn-intent']],
    ['我们领导让我打电话来问一下发票的事', 'customer', [], ['escalation-request', 'complaint']],
    ['westpoint bank offered me two percent', 'customer', ['competitor-mention'], []],
    ['i am with orion mobile at the moment', 'customer', ['competitor-mention'], []],
    ["it's my wife's mobile number", 'customer', [], ['competitor-mention']],
    ['can i use my savings bank card abroad', 'customer', [], ['competitor-mention']],
    ['i will call direct tomorrow', 'customer', [], ['competitor-mention']],
  ];
  for (const [text, role, want, not] of cases) {
    const got = hits(s, text, role);
    for (const w of want) t.ok(got.includes(w), `${w}: ${text} (got ${got.join(', ') || 'nothing'})`);
    for (const n of not) t.notOk(got.includes(n), `not ${n}: ${text}`);
  }
});

t.test('in one call, a complaint is judged per utterance: asking for a manager does not taint what follows', async (t) => {
  const r = await loadRules(RULES);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const c = new CallRules(r.set);
  const say = (text: string) => c.onUtterance({ legId: 'c', role: 'customer', seq: seq++, startMs: 60_000 + seq * 1000, endMs: 61_000 + seq * 1000, text, emotion: 'neutral', sentiment: 0, redactions: [] }).map((h) => h.rule.id);
  t.ok(say('i want to speak to your manager').includes('complaint'));
  t.notOk(say('my account number is in the letter').includes('complaint'), 'a neutral line later in the call');
});

// Hand-written paraphrases (test/analysis/rules/fixtures/paraphrases.jsonl: six rounds written
// without looking at the packs, each then used to widen the concepts) and near misses: a
// regression net for the concept classes, not an accuracy figure (the corpus bench is that).
t.test('built-in packs on the paraphrase fixture: positives hit, near misses do not', async (t) => {
  const { readFileSync } = await import('node:fs');
  const r = await loadRules(RULES);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const RULE: Record<string, string> = { complaint: 'complaint', churn: 'churn-intent', escalation: 'escalation-request', competitor: 'competitor-mention' };
  const lines = readFileSync(new URL('./fixtures/paraphrases.jsonl', import.meta.url), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; speaker: Role; text: string; categories: string[]; nearMiss?: boolean });
  const missed: string[] = [];
  let positives = 0;
  for (const u of lines) {
    const got = hits(r.set, u.text, u.speaker);
    for (const c of u.categories.filter((x) => RULE[x])) {
      positives++;
      if (!got.includes(RULE[c])) missed.push(`${c}: ${u.text}`);
    }
    if (u.nearMiss) for (const [c, rule] of Object.entries(RULE)) if (!u.categories.includes(c)) t.notOk(got.includes(rule), `near miss, not ${c}: ${u.text}`);
  }
  t.ok(positives > 250, `${positives} labelled positives`);
  t.ok(missed.length <= positives * 0.05, `at most 5% missed (${missed.length}): ${missed.join(' | ')}`);
});

t.test('phrase matches do not overlap: one stretch of text is not two phrases of a set', async (t) => {
  const s = set('rules:\n  - id: w\n    when: { near: { a: [home, hold], b: [all day, day*, hour*], words: 3 } }\n');
  t.same(hits(s, 'i am home all day'), ['w']);
  const o = set('rules:\n  - id: o\n    when: { near: { a: [all], b: [all day, day*], words: 3 } }\n');
  t.same(hits(o, 'at home all day'), [], '"all day" is one match of b, not also "day" next to "all"');
  t.same(hits(o, 'all of the day'), ['o']);
});

// A further round written as a lexicon check rather than as corpus lines (fixtures/general-en.jsonl):
// each line says which rules must hit and, for near misses, which must not. Covers time spans
// ("since half nine", "a fortnight"), promises ("was meant to", "said he would ring"), faults
// ("playing up", "keeps dropping"), escalation routes (ombudsman, trading standards, reviews),
// masked and British insults, UK brands, questions that are grievances, agent turns, and the
// near misses: "no complaints", "i'm not going anywhere", "the manager already helped me",
// "cancel the appointment and rebook", "account closing balance", "im not gonna cancel".
t.test('built-in packs on the English generalisation fixture: hits and near misses', async (t) => {
  const { readFileSync } = await import('node:fs');
  const r = await loadRules(RULES);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  type Line = { id: string; speaker: Role; text: string; hit: string[]; not?: string[] };
  const lines = readFileSync(new URL('./fixtures/general-en.jsonl', import.meta.url), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  const missed: string[] = [];
  let positives = 0;
  let nearMisses = 0;
  for (const u of lines) {
    const got = hits(r.set, u.text, u.speaker);
    for (const id of u.hit) {
      positives++;
      if (!got.includes(id)) missed.push(`${u.id} ${id}: ${u.text}`);
    }
    if (u.not) nearMisses++;
    for (const id of u.not ?? []) t.notOk(got.includes(id), `${u.id} near miss, not ${id}: ${u.text}`);
  }
  t.ok(positives >= 200 && nearMisses >= 50, `${positives} positives, ${nearMisses} near misses`);
  t.ok(missed.length <= positives * 0.02, `at most 2% missed (${missed.length}): ${missed.join(' | ')}`);
});

t.test('spoken forms fold like contractions: gonna, wanna, gotta', async (t) => {
  const s = set('rules:\n  - id: stay\n    when: { phrases: [not going to cancel~, want to leave] }\n');
  t.same(hits(s, 'im not gonna cancel it'), ['stay']);
  t.same(hits(s, 'i am not going to cancel it'), ['stay']);
  t.same(hits(s, 'i wanna leave'), ['stay']);
  t.same(hits(s, 'i wannabe leave'), [], 'whole words only');
});

t.test("'i'll' spelt 'ill' folds to 'i will' before a verb, not where it means sick; 'nobody's' to has / is", async (t) => {
  const s = set('rules:\n  - id: will\n    when: { phrases: [i will be off, i will stay] }\n  - id: told\n    when: { phrases: [nobody has told us, nobody is listening] }\n');
  t.same(hits(s, "fine i'll be off then"), ['will']);
  t.same(hits(s, 'so ill stay with you'), ['will']);
  t.same(hits(s, 'my mum is ill be off work'), [], 'after "is" it is the adjective');
  t.same(hits(s, 'feeling ill stay home'), [], 'after "feeling" too');
  t.same(hits(s, "nobody's told us anything"), ['told']);
  t.same(hits(s, 'nobodys listening'), ['told']);
});
