import t from 'tap';
import { detectLang } from '../../src/analysis/lang.js';
import { sentiment } from '../../src/analysis/sentiment/index.js';

t.test('language is detected per utterance from its script', async (t) => {
  t.equal(detectLang('I want to speak to your supervisor'), 'en');
  t.equal(detectLang('我要找你们经理'), 'zh');
  t.equal(detectLang('我的iPhone坏了'), 'zh', 'an English brand inside Chinese is still Chinese');
  t.equal(detectLang('my name is 王伟 and I need help with my bill'), 'en');
  t.equal(detectLang('[CARD] 123'), 'en');
  t.equal(detectLang('123 ...'), 'unknown');
});

t.test('English: VADER with negation', async (t) => {
  t.ok(sentiment('this is terrible, I am very angry') < -0.5);
  t.ok(sentiment('thank you so much, that was really helpful') > 0.5);
  t.ok(sentiment('not bad at all') > 0, '"not bad at all" is not negative');
  t.equal(sentiment(''), 0);
});

t.test('English call-centre phrases VADER alone reads as neutral', async (t) => {
  t.ok(sentiment('I have been waiting for two hours and it is still not working') < -0.5);
  t.ok(sentiment('this is the third time I call about this') < -0.25);
  t.ok(sentiment('you charged me twice') < -0.25);
  t.ok(sentiment('nobody called me back') < -0.25);
  t.ok(sentiment('that fixed it') > 0.25);
  t.ok(sentiment('I want to cancel my account') < sentiment('I want to check my account'));
});

t.test('Chinese: call-centre lexicon, negation and intensifiers', async (t) => {
  t.ok(sentiment('你们的服务太慢了，我要投诉') < -0.5, 'complaint');
  t.ok(sentiment('我很不满意') < -0.5, 'dissatisfied');
  t.ok(sentiment('我要退订') < 0, 'churn');
  t.ok(sentiment('非常感谢你的帮助') > 0.5, 'gratitude');
  t.ok(sentiment('谢谢你') > 0.3, 'thanks');
  const doubleNeg = sentiment('我不是不满意');
  t.ok(doubleNeg >= 0 && doubleNeg < 0.5, `不是不满意 is not negative (and not praise): ${doubleNeg}`);
  t.ok(sentiment('不太满意') < 0, 'negated positive turns negative');
  t.ok(sentiment('太慢了') < sentiment('有点慢'), 'intensifier is stronger than a softener');
  t.ok(sentiment('有点慢') < 0);
  t.ok(sentiment('服务很好，但是太慢了') < sentiment('服务很好'), 'a clause after 但是 counts on its own');
  t.equal(sentiment('我要查一下账单'), 0, 'neutral request');
});
