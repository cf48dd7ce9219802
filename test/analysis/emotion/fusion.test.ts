import t from 'tap';
import { HIGH_AROUSAL, SHOUT_AROUSAL, fuse } from '../../../src/analysis/emotion/index.js';

const calmVoice = 0.2;
const raised = HIGH_AROUSAL + 0.5;

t.test('sentiment and arousal alone', async (t) => {
  t.equal(fuse(-0.6, raised).emotion, 'angry', 'negative words + raised voice');
  t.equal(fuse(-0.6, -0.5).emotion, 'frustrated');
  t.equal(fuse(-0.6, undefined).emotion, 'frustrated', 'no voice: negative words are frustration');
  t.equal(fuse(-0.6, HIGH_AROUSAL - 0.1).emotion, 'frustrated', 'just below the raised threshold');
  t.equal(fuse(0.6, 0.5).emotion, 'satisfied');
  t.equal(fuse(0.05, 0).emotion, 'neutral');
  t.equal(fuse(0, SHOUT_AROUSAL + 0.5).emotion, 'angry', 'shouting with neutral words');
  t.equal(fuse(0, raised).emotion, 'neutral', 'a livelier voice with neutral words is not anger');
  t.ok(fuse(-0.9, 3).confidence > fuse(-0.3, HIGH_AROUSAL + 0.1).confidence, 'stronger evidence, more confidence');
  t.ok(fuse(-0.6, 0).confidence > fuse(-0.6, undefined).confidence, 'voice evidence adds confidence');
  for (const [s, a] of [[-1, 4], [1, -4], [0, undefined], [-0.25, 1]] as const) {
    const c = fuse(s, a).confidence;
    t.ok(c >= 0 && c <= 1);
  }
});

t.test('categories push towards frustration and anger', async (t) => {
  // "this is the third time i am calling": no sentiment word, but a complaint.
  t.equal(fuse(0, undefined).emotion, 'neutral');
  t.equal(fuse(0, undefined, { categories: ['complaint'] }).emotion, 'frustrated', 'a complaint is frustration');
  t.equal(fuse(0, undefined, { categories: ['escalation-request'] }).emotion, 'frustrated', 'an escalation request said evenly');
  t.equal(fuse(0, raised, { categories: ['escalation-request'] }).emotion, 'angry', 'escalation with a raised voice is anger');
  t.equal(fuse(0, calmVoice, { categories: ['escalation-request'] }).emotion, 'frustrated', 'escalation in a calm voice is not');
  t.equal(fuse(0.3, raised, { categories: ['complaint'] }).emotion, 'angry', 'a polite-sounding complaint shouted');
  t.equal(fuse(0.19, undefined, { categories: ['complaint'] }).emotion, 'neutral', '"我不是不满意": a complaint phrase in words that score positive is negated');
  t.equal(fuse(0.3, undefined, { categories: ['complaint'], tone: 'weary' }).emotion, 'frustrated', 'unless a tone says otherwise ("still not fixed")');
  t.equal(fuse(0.2, calmVoice, { categories: ['abusive-language'] }).emotion, 'angry', 'abuse is anger whatever the voice');
  t.ok(fuse(-0.5, raised, { categories: ['abusive-language'] }).confidence > fuse(0, undefined, { categories: ['abusive-language'] }).confidence);
  t.ok(fuse(0, undefined, { categories: ['complaint'] }).confidence > fuse(-0.3, undefined).confidence - 0.1, 'a category is real evidence');
});

t.test('a Chinese demand for someone senior is a confrontation', async (t) => {
  t.equal(fuse(-0.2, undefined, { categories: ['escalation-request'], lang: 'zh' }).emotion, 'angry', '叫你们领导来跟我说');
  t.equal(fuse(-0.2, undefined, { categories: ['escalation-request'], lang: 'en' }).emotion, 'frustrated', '"could i speak to a manager"');
  t.equal(fuse(0.5, undefined, { categories: ['escalation-request'], lang: 'zh' }).emotion, 'frustrated', 'positive words: a grievance, not anger');
  t.equal(fuse(-0.2, undefined, { categories: ['escalation-request'], lang: 'zh', role: 'agent' }).emotion, 'neutral', '"我帮您升级给主管" from the agent');
});

t.test('churn intent: a grievance only with negative words or a tone', async (t) => {
  t.equal(fuse(0.3, undefined, { categories: ['churn-intent'] }).emotion, 'neutral', '"i\'d like to cancel my contract please": politeness, not satisfaction');
  t.equal(fuse(0, undefined, { categories: ['churn-intent'] }).emotion, 'neutral', '"how do i close my account"');
  t.equal(fuse(-0.2, undefined, { categories: ['churn-intent'] }).emotion, 'frustrated', 'leaving, with negative words');
  t.equal(fuse(0, undefined, { categories: ['churn-intent'], tone: 'weary' }).emotion, 'frustrated', 'leaving, fed up');
  t.equal(fuse(-0.2, raised, { categories: ['churn-intent'] }).emotion, 'angry', 'a threat to leave, shouted');
});

t.test('praise, and praise of a competitor', async (t) => {
  t.equal(fuse(0.1, undefined, { categories: ['customer-praise'] }).emotion, 'satisfied');
  t.equal(fuse(0.4, undefined, { categories: ['competitor-mention'] }).emotion, 'neutral', '"first national bank gave me a better offer" is not satisfaction');
  t.equal(fuse(0.4, undefined, { categories: ['competitor-mention', 'customer-praise'] }).emotion, 'satisfied');
  t.equal(fuse(-0.1, undefined, { categories: ['customer-praise', 'complaint'] }).emotion, 'frustrated', 'thanks, but a complaint');
});

t.test('tone words: anger vs weariness', async (t) => {
  t.equal(fuse(-0.3, undefined, { tone: 'anger' }).emotion, 'angry', '"this is ridiculous" without voice');
  t.equal(fuse(0.3, undefined, { tone: 'anger' }).emotion, 'angry', '"this is a joke" (joke scored positive)');
  t.equal(fuse(0.8, undefined, { tone: 'anger', categories: ['customer-praise'] }).emotion, 'satisfied', 'plain praise wins');
  t.equal(fuse(-0.3, undefined, { tone: 'weary' }).emotion, 'frustrated', '"i am fed up"');
  t.equal(fuse(0.3, undefined, { tone: 'weary' }).emotion, 'frustrated', '"honestly this is the last time" with a mildly positive score');
  t.equal(fuse(0.1, undefined, { tone: 'pleased' }).emotion, 'satisfied');
  t.equal(fuse(0.4, undefined, { tone: 'weary', categories: ['customer-praise'] }).emotion, 'satisfied', '看病的过程有点折腾不过医生人真的很好');
});

t.test('agents: politeness and apologies are not emotions', async (t) => {
  t.equal(fuse(-0.46, calmVoice, { role: 'agent' }).emotion, 'neutral', '"i am sorry for the trouble"');
  t.equal(fuse(-0.46, raised, { role: 'agent' }).emotion, 'neutral', 'a livelier apology is still no anger');
  t.equal(fuse(0.4, undefined, { role: 'agent' }).emotion, 'neutral', '"can i take your order number please"');
  t.equal(fuse(0.7, undefined, { role: 'agent' }).emotion, 'satisfied');
  t.equal(fuse(0.1, undefined, { role: 'agent', tone: 'pleased' }).emotion, 'satisfied', '"good news the refund has been approved"');
  t.equal(fuse(0, undefined, { role: 'agent', categories: ['abusive-language'] }).emotion, 'angry', 'an abusive agent is angry');
  t.equal(fuse(-0.5, SHOUT_AROUSAL + 0.5, { role: 'agent' }).emotion, 'angry', 'an agent shouting negative words');
  t.equal(fuse(-0.5, undefined, { role: 'customer' }).emotion, 'frustrated', 'the same words from the customer');
});
