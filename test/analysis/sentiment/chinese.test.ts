// Chinese contact-centre sentiment on sentences written for these tests (not from the corpus), as
// Chinese ASR writes them: no punctuation, fillers, numbers in characters or digits.
import t, { type Test } from 'tap';
import { NEG, POS } from '../../../src/analysis/emotion/fusion.js';
import { sentiment, sentimentDetail } from '../../../src/analysis/sentiment/index.js';
import { chineseTokens } from '../../../src/analysis/sentiment/chinese.js';

type Pol = 'neg' | 'neu' | 'pos';
const pol = (s: number): Pol => (s <= NEG ? 'neg' : s >= POS ? 'pos' : 'neu');
const check = (t: Test, cases: [Pol, string, ('customer' | 'agent')?][]) => {
  for (const [want, text, role] of cases) {
    const s = sentiment(text, 'zh', role ?? 'customer');
    t.equal(pol(s), want, `${want}: ${text} (${s})`);
  }
};

t.test('complaints without a complaint word: waiting, repeat contact, promises, money, not working', async (t) => {
  check(t, [
    ['neg', '我都等了四十多分钟了还没人接'],
    ['neg', '挂号排了三个小时还没轮到'],
    ['neg', '这已经是我第四次打电话了'],
    ['neg', '上次你们说三天之内给我回电话结果到现在都没人联系我'],
    ['neg', '你们重复扣了我两次钱到现在还没退'],
    ['neg', '你们扣了我两遍钱到现在一分都没退'],
    ['neg', '家里的宽带天天断网'],
    ['neg', '手机银行一直登不上去'],
    ['neg', '明明说好的包邮结果又收了我运费'],
    ['neg', '我从早上8点排到现在还没看上病'],
  ]);
});

t.test('leaving, competitors, escalation, abuse', async (t) => {
  check(t, [
    ['neg', '再不解决我就去别的银行了'],
    ['neg', '人家京东当天就到了你们要一个礼拜'],
    ['neg', '我不想再用你们的宽带了'],
    ['neg', '叫你们领导来跟我说'],
    ['neg', '把你们经理叫过来'],
    ['neg', '你们再这样我就去消协投诉'],
    ['neg', '你们这些人都是废物'],
  ]);
});

t.test('jieba-cut intensifiers and markers: 根本 一直 还没 到现在 凭什么 什么破', async (t) => {
  check(t, [
    ['neg', '你们根本没人管'],
    ['neg', '我一直打不通你们电话'],
    ['neg', '你们凭什么不给我退'],
    ['neg', '什么破网络一天断好几次'],
    ['neg', '我根本没有开通过这个业务'],
  ]);
  t.ok(sentiment('太慢了', 'zh') < sentiment('有点慢', 'zh'), 'an intensifier is stronger than a softener');
  t.ok(sentiment('有点慢', 'zh') < 0);
});

t.test('negation: 不是不满意 is not a complaint, 不太满意 is', async (t) => {
  const s = sentiment('我不是不满意', 'zh', 'customer');
  t.ok(s > 0 && s < 0.5, `不是不满意 is mildly positive, not praise (${s})`);
  check(t, [
    ['neg', '不太满意'],
    ['neg', '我很不满意'],
    ['neu', '我不是来投诉的就是想问问流程'],
  ]);
});

t.test('contrast: 但是 / 可是, and 就是 after a concession', async (t) => {
  check(t, [
    ['neg', '东西是挺好的但是物流太慢了'],
    ['neg', '医生倒是挺好的就是排队太久了'],
    ['neg', '服务很好可是问题一直没解决'],
  ]);
  t.ok(sentiment('服务很好但是太慢了', 'zh') < sentiment('服务很好', 'zh'));
});

t.test('questions: asking is not complaining unless the event is one', async (t) => {
  check(t, [
    ['neu', '为什么没有扣费呢'],
    ['neu', '请问怎么修改收货地址'],
    ['neu', '我想问一下信用卡的还款日是几号'],
    ['neg', '我都付款三天了怎么还没发货'],
  ]);
});

t.test('sarcasm: 效率可真高, thanks around a complaint', async (t) => {
  check(t, [
    ['neg', '你们这效率可真高啊一个快递送了半个月'],
    ['neg', '效率可真高'],
    ['neg', '谢谢你们啊让我白跑了三趟'],
    ['neg', '你们的网真稳定啊一天断五次'],
  ]);
});

t.test('agent speech: apologies and procedure neutral, money back positive', async (t) => {
  check(t, [
    ['neu', '不好意思让您久等了请问有什么可以帮您', 'agent'],
    ['neu', '我非常理解您的心情我马上帮您查一下', 'agent'],
    ['neu', '请您稍等我帮您核实一下', 'agent'],
    ['neu', '销户需要本人带身份证到营业厅办理', 'agent'],
    ['pos', '好消息您的退款已经审核通过了', 'agent'],
    ['pos', '已经帮您把多扣的钱退回去了', 'agent'],
  ]);
  // Without a role, the polite 您 marks the agent.
  t.equal(pol(sentiment('您的投诉我已经记录了', 'zh')), 'neu');
});

t.test('praise', async (t) => {
  check(t, [
    ['pos', '太感谢了帮我解决了大问题'],
    ['pos', '这个护士特别耐心'],
    ['pos', '问题已经解决了谢谢你'],
    ['pos', '你们客服小王服务特别好要表扬一下'],
  ]);
});

t.test('tokens: punctuation, spaces and fillers go; the cue that decided is reported', async (t) => {
  t.notOk(chineseTokens('嗯 呃，我想问一下。').some((w) => /[，。\s]|^嗯$|^呃$/u.test(w)));
  const d = sentimentDetail('挂号排了三个小时还没轮到', 'zh', 'customer');
  t.ok(d.items.some((i) => i.kind === 'cue' && i.v < 0), 'a waiting cue carries the score');
  t.equal(sentiment('我想查一下账单', 'zh', 'customer'), 0, 'a neutral request');
});
