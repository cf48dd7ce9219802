// Categories as emotion evidence, on the shipped rules (config/rules) through CallAnalysis: the
// path every final transcript takes.
import t from 'tap';
import { CallAnalysis } from '../../../src/analysis/call-analysis.js';
import { CategoryCues } from '../../../src/analysis/emotion/index.js';
import { loadRules } from '../../../src/analysis/rules/index.js';
import type { Prosody, Role } from '../../../src/call/types.js';

const loaded = await loadRules('config/rules');
if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
const set = loaded.set;

const calm: Prosody = { f0MeanHz: 110, f0StdHz: 14, rmsDb: -30, rmsStdDb: 3, voicedRatio: 0.7 };
const raised: Prosody = { f0MeanHz: 140, f0StdHz: 18, rmsDb: -23, rmsStdDb: 4, voicedRatio: 0.7 };

function call() {
  const ca = new CallAnalysis('c1', set);
  let seq = 0;
  const say = (text: string, prosody?: Prosody, role: Role = 'customer') => {
    const i = seq++;
    return ca.final({ callId: 'c1', legId: role, role, seq: i, text, startMs: i * 4000, endMs: i * 4000 + 3000, final: true, prosody });
  };
  const warm = () => ['hello i am calling about my bill', 'it is the one from last week', 'my account number is on the letter'].forEach((x, i) => say(x, { ...calm, f0MeanHz: calm.f0MeanHz + i * 3 }));
  return { ca, say, warm };
}

t.test('a complaint without sentiment words is frustration', async (t) => {
  const { say } = call();
  const a = say('this is the third time and nobody called me back');
  t.ok(a.utterance.categories.includes('complaint'), 'the complaint rule hit');
  t.equal(a.utterance.emotion, 'frustrated');
});

t.test('escalation: frustrated said evenly, angry with a raised voice; the anger then counts for the rules', async (t) => {
  const even = call();
  even.warm();
  const e = even.say('i want to speak to your supervisor', calm);
  t.ok(e.arousal !== undefined && e.arousal < 1, `calm voice (z=${e.arousal})`);
  t.equal(e.utterance.emotion, 'frustrated');
  t.notOk(e.utterance.categories.includes('customer-angry'));

  const loud = call();
  loud.warm();
  const l = loud.say('i want to speak to your supervisor', raised);
  t.ok(l.arousal! >= 1.5, `raised voice (z=${l.arousal})`);
  t.equal(l.utterance.emotion, 'angry');
  t.ok(l.utterance.categories.includes('escalation-request'));
  t.ok(l.utterance.categories.includes('customer-angry'), 'rules that test the emotion see the fused label');
  t.equal(loud.ca.summary().emotion.endsNegative, true);
});

t.test('abuse is anger; praise is satisfaction; an agent apology is neither', async (t) => {
  const { say } = call();
  t.equal(say('you are an idiot').utterance.emotion, 'angry');
  t.equal(say('i am so sorry for the trouble', undefined, 'agent').utterance.emotion, 'neutral');
});

t.test('the pre-pass is stateless: a rule hit earlier in the call still counts as evidence later', async (t) => {
  const cues = new CategoryCues(set);
  const f = { legId: 'c', role: 'customer' as const, seq: 0, startMs: 0, endMs: 2000, text: 'nobody called me back', emotion: 'neutral' as const, sentiment: 0, redactions: [] };
  t.same(cues.of(f), ['complaint']);
  t.same(cues.of({ ...f, seq: 1 }), ['complaint'], 'again, not once per call');
  t.same(cues.of({ ...f, role: 'agent' }), [], 'speaker-specific rules keep their speaker');
  t.same(new CategoryCues({ ...set, rules: [] }).of(f), [], 'a rule set without these categories gives no evidence');
});
