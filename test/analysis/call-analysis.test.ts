// A customer's reported sentiment follows the categories the utterance hit where the words alone
// are neutral (English and Chinese), on the real built-in packs through CallAnalysis.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CallAnalysis, categoryPolarity } from '../../src/analysis/call-analysis.js';
import { NEG, POS } from '../../src/analysis/emotion/index.js';
import { loadRules } from '../../src/analysis/rules/index.js';
import type { Role } from '../../src/call/types.js';

const RULES = fileURLToPath(new URL('../../config/rules/', import.meta.url));

t.test('categoryPolarity: neutral words take the side of the categories; clear words keep theirs', async (t) => {
  t.ok(categoryPolarity(0, ['churn-intent']) <= NEG, 'saying one is leaving is negative');
  t.equal(categoryPolarity(0, ['churn-intent', 'customer-question']), 0, 'asking how to leave is a neutral inquiry');
  t.equal(categoryPolarity(-0.5, ['churn-intent', 'customer-question']), 0, 'even where leaving words scored negative');
  t.equal(categoryPolarity(-0.5, ['churn-intent', 'customer-question', 'complaint']), -0.5, 'not when it also complains');
  t.equal(categoryPolarity(-0.9, ['churn-intent', 'customer-question']), -0.9, 'nor when the words are strongly negative');
  t.equal(categoryPolarity(-0.42, ['churn-intent', 'leaving-request']), 0, 'leaving for a reason of ones own is neutral too');
  t.ok(categoryPolarity(-0.42, ['churn-intent', 'leaving-request', 'complaint']) <= NEG, 'unless it complains as well');
  t.ok(categoryPolarity(0, ['churn-intent']) <= NEG, 'and a bare leaving stays negative');
  t.equal(categoryPolarity(0, ['churn-intent'], 'zh'), 0, 'zh: a calm cancellation (帮我把副卡注销了) stays neutral');
  t.equal(categoryPolarity(-0.5, ['churn-intent'], 'zh'), -0.5, 'zh: a threat to leave keeps its own negative words');
  t.ok(categoryPolarity(0, ['churn-intent', 'complaint'], 'zh') <= NEG, 'zh: leaving with a grievance is negative');
  t.ok(categoryPolarity(0, ['churn-intent'], 'en') <= NEG, 'en unchanged');
  t.ok(categoryPolarity(0.1, ['escalation-request']) <= NEG);
  t.ok(categoryPolarity(-0.1, ['abusive-language']) <= NEG);
  t.ok(categoryPolarity(0, ['customer-praise']) >= POS);
  t.equal(categoryPolarity(0.7, ['complaint']), 0.7, 'clearly positive words are not overruled');
  t.equal(categoryPolarity(-0.7, ['customer-praise']), -0.7);
  t.equal(categoryPolarity(0.1, ['competitor-mention']), 0.1, 'naming a rival says nothing about us by itself');
  t.ok(categoryPolarity(0.1, ['competitor-mention'], 'en') <= NEG, 'en: a customer bringing up a rival, not asking, compares to our cost');
  t.equal(categoryPolarity(0.1, ['competitor-mention', 'customer-question'], 'en'), 0.1, 'en: asking about a rival stays the words');
  t.ok(categoryPolarity(0, ['competitor-mention', 'customer-praise'], 'en') > NEG, 'en: praise over a rival is not a grievance');
  t.equal(categoryPolarity(0.1, ['competitor-mention'], 'zh'), 0.1, 'zh unchanged');
});

t.test('through CallAnalysis: leaving for ones own reason is neutral; a grievance conceded before a good "but" is no complaint', async (t) => {
  const r = await loadRules(RULES);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  let n = 0;
  const run = (text: string) => {
    const c = new CallAnalysis(`r${n++}`, r.set);
    return c.final({ callId: 'c', legId: 'l-customer', role: 'customer', seq: 0, text, startMs: 0, endMs: 2000, final: true });
  };
  const moving = run('we are emigrating in june so i need to close the joint account').utterance.sentiment;
  t.ok(moving > NEG && moving < POS, `emigrating and closing is neutral (${moving})`);
  t.ok(run('i need to close the joint account').utterance.sentiment <= NEG, 'without a reason it is leaving, negative');
  const conceded = run('the queue was awful but the pharmacist was brilliant');
  t.ok(conceded.utterance.sentiment >= POS, `the clause after "but" decides (${conceded.utterance.sentiment})`);
  t.notOk(conceded.hits.some((h) => h.rule.id === 'complaint'), 'and it is not a complaint');
  const grievance = run('the pharmacist was lovely but i waited two hours for the prescription');
  t.ok(grievance.hits.some((h) => h.rule.id === 'complaint'), 'the mirror case is');
});

t.test('through CallAnalysis: customer lines move, agent lines do not', async (t) => {
  const r = await loadRules(RULES);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  let n = 0;
  const say = (text: string, role: Role = 'customer') => {
    const c = new CallAnalysis(`c${n++}`, r.set);
    return c.final({ callId: 'c', legId: `l-${role}`, role, seq: 0, text, startMs: 0, endMs: 2000, final: true }).utterance.sentiment;
  };
  t.ok(say('i will be moving my mortgage to another lender') <= NEG, 'churn without a sentiment word');
  t.ok(say('put me through to your boss') <= NEG, 'escalation request');
  t.ok(say('you have been an absolute star') >= POS, 'praise VADER does not know');
  const q = say('can you tell me how to cancel my membership');
  t.ok(q > NEG && q < POS, `asking how to close is neutral (${q})`);
  const a = say('i will pass this to my team leader', 'agent');
  t.ok(a > NEG, `an agent escalating is not a negative customer (${a})`);
  const none = say('i am calling on behalf of my mother');
  t.ok(none > NEG && none < POS, 'no category, no change');
  // Chinese alike (the words scored negative, the categories say what it amounts to).
  const zhAsk = say('我想问一下注销信用卡要带什么证件');
  t.ok(zhAsk > NEG && zhAsk < POS, `zh: asking how to close a card is a neutral inquiry (${zhAsk})`);
  t.ok(say('叫你们领导来跟我说') <= NEG, 'zh escalation request');
  const zhNone = say('我想查一下这个月的账单');
  t.ok(zhNone > NEG && zhNone < POS, `zh: no category, no change (${zhNone})`);
  // Praise and a grievance in one line: the words decide, neither category does.
  const both = say('这个价保服务挺不错的主动把差价退给我了');
  t.ok(both > NEG, `zh: praise with a refund in it is not made negative (${both})`);
});
