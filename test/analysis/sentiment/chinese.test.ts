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

t.test('emphatic negation: 一点都不/根本不 + a word is that word negated, not a complaint cue that cancels it', async (t) => {
  check(t, [
    ['neg', '这个师傅一点都不靠谱'],
    ['neg', '你们客服根本不专业'],
    ['neg', '这个新系统一点也不方便'],
    ['neu', '排队的人一点都不多也不慢'],
    ['neu', '这个价格一点都不贵'],
  ]);
  const d = sentimentDetail('这个师傅一点都不靠谱', 'zh', 'customer');
  t.ok(d.items.some((i) => i.kind === 'word' && i.note === '靠谱' && i.v < -1.5), 'scored as the negated, intensified word');
});

t.test('grievances without a sentiment word: changed answers, runarounds, unknown charges, goods spoiled', async (t) => {
  check(t, [
    ['neg', '定金都付了现在又跟我说没货'],
    ['neg', '前台说一套后台说一套三个人三个说法'],
    ['neg', '寄来的海鲜都臭了'],
    ['neg', '账户里多出来一笔不认识的扣款'],
    ['neg', '套餐被偷偷给我改了'],
    ['neg', '我点的是微辣给我做成了特辣'],
    ['neg', '都晚上九点了维修的人还没到'],
    ['neg', '审核交了三回都没通过'],
    ['neg', '你们这样做生意也太不讲理了'],
    ['neg', '有你们这样对待客户的吗'],
    ['neg', '挂号排了一整个上午'],
  ]);
});

t.test('near misses: 明明白白, a trip for the customer, an inquiry about leaving, no manager needed', async (t) => {
  check(t, [
    ['pos', '你讲得明明白白谢谢你'],
    ['pos', '医生特别负责还专门打电话来回访'],
    ['neu', '请问销户以后里面的余额怎么办'],
    ['neu', '不用找你们经理了你帮我登记一下就行'],
    ['neu', '我临时有事来不了想改个时间'],
    ['neu', '以后我就用手机办了'],
  ]);
});

t.test('agent: bad news negative, good news positive', async (t) => {
  check(t, [
    ['neg', '很遗憾您这次的申请没有通过', 'agent'],
    ['pos', '您的包裹明天下午就能送到', 'agent'],
    ['pos', '已经帮您申请了一张二十元的代金券作为补偿', 'agent'],
    ['pos', '您的宽带已经恢复正常了', 'agent'],
  ]);
});

t.test('abuse counts in a question too', async (t) => {
  check(t, [
    ['neg', '你他妈会不会说话'],
    ['neg', '你是不是聋了'],
    ['neg', '你们都是吃干饭的吗'],
  ]);
});
