import t from 'tap';
import { toneOf } from '../../../src/analysis/emotion/index.js';

t.test('anger words', async (t) => {
  for (const s of ['this is ridiculous', 'unbelievable you did it again', 'you lot are thieves', 'i want it sorted right now', "i'm getting a lawyer", '气死我了', '你们太过分了', '你们是不是骗子', '别跟我说什么系统问题']) {
    t.equal(toneOf(s), 'anger', s);
  }
});

t.test('weariness', async (t) => {
  for (const s of ['i am fed up with this', "i'm sick and tired of calling", 'this is the third time', 'it still hasnt arrived', '烦死了', '我真的受够了', '折腾了好几次', '凭什么扣我钱']) {
    t.equal(toneOf(s), 'weary', s);
  }
});

t.test('pleasure, and anger outranking it', async (t) => {
  t.equal(toneOf('good news the refund has been approved'), 'pleased');
  t.equal(toneOf('不客气很高兴能帮到您'), 'pleased');
  t.equal(toneOf('您好工号3025很高兴为您服务'), undefined, 'the greeting formula is not pleasure');
  t.equal(toneOf('glad you think this is ridiculous'), 'anger');
  t.equal(toneOf('honestly i am fed up'), 'weary');
});

t.test('negated and absent', async (t) => {
  t.equal(toneOf('that is not ridiculous at all'), undefined);
  t.equal(toneOf('这个价格不过分'), undefined);
  t.equal(toneOf('我不满意'), undefined, '不满意 is not pleasure');
  t.equal(toneOf('can i have your account number please'), undefined);
  t.equal(toneOf(''), undefined);
});
