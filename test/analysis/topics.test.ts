import t from 'tap';
import { TopicDiscovery, terms } from '../../src/analysis/topics.js';

t.test('content words, both languages, no redaction tokens or stop words', async (t) => {
  t.same([...terms('I was charged twice on my bills, card [CARD]')].sort(), ['card', 'charged', 'twice', 'bill'].sort());
  const zh = terms('我的宽带又坏了，我们这边路由器不能上网');
  t.ok(zh.has('宽带') && zh.has('路由器'), [...zh].join(','));
  t.notOk(zh.has('我们') || zh.has('这边') || zh.has('的'), 'stop words and single characters dropped');
  t.same([...terms('yes okay thank you')], []);
});

t.test('clusters recent utterances around their characteristic terms', async (t) => {
  const td = new TopicDiscovery();
  const say = (call: string, text: string, id: number) => td.add(call, text, id);
  let id = 0;
  for (let c = 0; c < 6; c++) say(`c${c}`, `my internet outage started this morning, the router shows red`, id++);
  for (let c = 0; c < 4; c++) say(`d${c}`, `I was charged twice on my bill this month`, id++);
  for (let c = 0; c < 3; c++) say(`e${c}`, `宽带断网了，路由器一直闪红灯`, id++);
  say('x', 'what time do you close', id++);
  const topics = td.topics({ minSize: 3 });
  t.equal(topics.length, 3);
  t.ok(topics[0].terms.includes('outage') && topics[0].terms.includes('internet'), topics[0].terms.join(','));
  t.equal(topics[0].size, 6);
  t.equal(topics[0].calls, 6);
  t.ok(topics[1].terms.includes('charged'));
  t.ok(topics[2].terms.includes('宽带') || topics[2].terms.includes('断网'));
  t.same(topics[1].examples.map((e) => e.utteranceId), [6, 7, 8, 9]);
  t.same(td.topics({ minSize: 7 }), [], 'nothing that big');
});

t.test('keeps only the most recent utterances', async (t) => {
  const td = new TopicDiscovery(5);
  for (let i = 0; i < 10; i++) td.add('c', `refund request number ${i}`);
  t.equal(td.size, 5);
});
