import t from 'tap';
import { CallRedactor, redact } from '../../src/analysis/redact/index.js';
import { cnIdValid, findDigitRuns, luhnValid } from '../../src/analysis/redact/digits.js';

// A Luhn-valid test card (Visa test range) and its digits spoken as words.
const CARD = '4532015112830366';
const words = (d: string) => [...d].map((c) => ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'][Number(c)]).join(' ');
const zhWords = (d: string) => [...d].map((c) => '零幺二三四五六七八九'[Number(c)]).join('');

t.test('checksums', async (t) => {
  t.ok(luhnValid(CARD));
  t.notOk(luhnValid('4532015112830367'));
  t.ok(cnIdValid('11010519491231002X'));
  t.notOk(cnIdValid('110105194912310021'));
});

t.test('written and spoken card numbers become [CARD]', async (t) => {
  for (const text of [`my card is ${CARD}`, 'my card is 4532 0151 1283 0366', 'my card is 4532-0151-1283-0366', `my card is ${words(CARD)}`, `卡号是${zhWords(CARD)}`]) {
    const r = redact(text);
    t.match(r.text, /\[CARD\]$/, text.slice(0, 12));
    t.notMatch(r.text, /\d|four|五/);
    t.same(r.types, ['CARD']);
  }
});

t.test('"double", "oh", 幺 and 两 are digits', async (t) => {
  t.same(findDigitRuns('five double five oh one')[0].digits, '55501');
  t.same(findDigitRuns('幺三八两')[0].digits, '1382');
  t.equal(redact('call me on five five five double one two three four five six').text, 'call me on [PHONE]');
  t.equal(redact('call me at (555) 123-4567').text, 'call me at [PHONE]', 'the bracket goes with the number');
  t.equal(redact('the number is +86 138 1234 5678').text, 'the number is [PHONE]', 'not a card, whatever Luhn says');
  t.equal(redact('我的手机号是幺三八一二三四五六七八').text, '我的手机号是[PHONE]');
});

t.test('e-mails, IDs, SSNs and dates of birth', async (t) => {
  t.equal(redact('write to j.smith@example.org please').text, 'write to [EMAIL] please');
  t.equal(redact('it is john dot smith at gmail dot com').text, 'it is [EMAIL]');
  t.equal(redact('身份证号是11010519491231002X').text, '身份证号是[ID]');
  t.equal(redact('my social is 123-45-6789').text, 'my social is [ID]');
  t.equal(redact('my social security number is one two three four five six seven eight nine').text, 'my social security number is [ID]');
  t.equal(redact('I was born on March 5, 1985').text, 'I was born on [DOB]');
  t.equal(redact('my date of birth is 05/03/1985').text, 'my date of birth is [DOB]');
  t.equal(redact('我出生于一九八五年三月五日').text, '我出生于[DOB]');
  t.equal(redact('my date of birth is march fifth nineteen eighty five').text, 'my date of birth is [DOB]');
  t.equal(redact('I was born on the fifth of march nineteen eighty five').text, 'I was born on [DOB]');
});

t.test('ordinary words and numbers are left alone', async (t) => {
  for (const text of ['I want this one please', 'oh no, not again', 'we spoke on March 5, 2024 about 3 items', '我要两个', '一下就好了', 'someone said it costs 20 dollars', 'it has been two weeks']) {
    t.equal(redact(text).text, text);
  }
});

t.test('public hotline numbers stay: they are where a caller escalates, nobody\'s data', async (t) => {
  for (const text of ['再不处理我就打12315投诉', '我已经打了12345了你们等着吧', '我直接打12345反映你们', '我去12300告你们', 'i rang 95588 yesterday and nobody answered']) {
    t.equal(redact(text).text, text);
  }
  t.equal(redact('你们再不处理我就打12315').text, '你们再不处理我就打12315', 'a hotline at the very end too');
  t.equal(redact('我的卡号是95588').text, '我的卡号是[DIGITS]', 'a 95… run at the end may be the start of a card');
  t.equal(redact('我的卡号是12315').text, '我的卡号是[DIGITS]', 'with card talk even a 123… run at the end is held back');
  t.equal(redact('验证码是12345678').text.includes('12345'), false, 'a longer run is still a number');
});

t.test('a card number split over two utterances of the same leg', async (t) => {
  const r = new CallRedactor();
  const a = r.final('leg-c', `my card number is ${words(CARD.slice(0, 4))}`, 0, 3000);
  const b = r.final('leg-c', words(CARD.slice(4)), 3500, 8000);
  t.equal(a.text, 'my card number is [DIGITS]', 'the trailing digits are held back as DIGITS');
  t.equal(b.text, '[CARD]', 'joined with the tail the number is a card');
  t.same(b.types, ['CARD']);
  // The same second half on another leg, or after a long pause, is not joined.
  const r2 = new CallRedactor();
  r2.final('leg-c', `my card number is ${words(CARD.slice(0, 4))}`, 0, 3000);
  t.same(r2.final('leg-a', words(CARD.slice(4)), 3500, 8000).types, ['DIGITS']);
  const r3 = new CallRedactor();
  r3.final('leg-c', `my card number is ${words(CARD.slice(0, 4))}`, 0, 3000);
  t.same(r3.final('leg-c', words(CARD.slice(4)), 30000, 35000).types, ['DIGITS'], 'after a long pause the halves are not joined');
});

t.test('a Chinese number split over utterances', async (t) => {
  const r = new CallRedactor();
  t.equal(r.final('c', '我的卡号是四五三二', 0, 2000).text, '我的卡号是[DIGITS]');
  t.equal(r.final('c', zhWords(CARD.slice(4)), 2500, 6000).text, '[CARD]');
});

t.test('a CVV after the agent asks for it, from the other leg', async (t) => {
  const r = new CallRedactor();
  r.final('agent', 'and the three digit code on the back of the card please', 0, 3000);
  t.equal(r.final('customer', 'seven three one', 3500, 5000).text, '[CVV]');
  // Without that question three digits are not a CVV (and mid-sentence not redacted at all).
  t.equal(redact('I have seven three one items').text, 'I have seven three one items');
});

t.test('partials use but do not advance the state', async (t) => {
  const r = new CallRedactor();
  r.final('c', 'my card number is four five three two', 0, 2000);
  t.equal(r.partial('c', words(CARD.slice(4, 8)), 2500).text, '[DIGITS]');
  t.equal(r.final('c', words(CARD.slice(4)), 2500, 6000).text, '[CARD]');
});

t.test('names after an introduction become [NAME]; the words around them stay', async (t) => {
  const cases: Array<[string, string]> = [
    ['hi my name is john smith and i have a question', 'hi my name is [NAME] and i have a question'],
    ["thank you for calling this is sarah speaking how can i help", 'thank you for calling this is [NAME] speaking how can i help'],
    ['this is mike from acme support', 'this is [NAME] from acme support'],
    ["you're speaking with priya", "you're speaking with [NAME]"],
    ['can i have mister okafor please', 'can i have mister [NAME] please'],
    ['我叫张伟', '我叫[NAME]'],
    ['免贵姓王', '免贵姓[NAME]'],
    ['王先生您好', '[NAME]先生您好'],
  ];
  for (const [text, want] of cases) {
    const r = redact(text);
    t.equal(r.text, want, text);
    t.ok(r.types.includes('NAME'), `${text}: counted as NAME`);
  }
});

t.test('near misses: no name to redact', async (t) => {
  for (const text of [
    'this is ridiculous i want to speak to your supervisor',
    'my name is on the account',
    'the account name is wrong',
    "you're speaking with a supervisor now",
    'call me back tomorrow',
    'i miss the old plan',
    'the doctor said to call',
    '这位先生请稍等',
    '我是客户',
  ]) {
    const r = redact(text);
    t.equal(r.text, text, text);
    t.notOk(r.types.includes('NAME'), text);
  }
});

t.test('a name and a number in one utterance are both redacted', async (t) => {
  const r = new CallRedactor().final('leg-a', 'my name is maria lopez and my phone is five five five one two three four five six seven', 0, 4000);
  t.equal(r.text, 'my name is [NAME] and my phone is [PHONE]');
  t.same([...r.types].sort(), ['NAME', 'PHONE']);
});

t.test('typed and spoken street addresses, en and zh (chat messages as well as speech)', async (t) => {
  const cases: [string, string][] = [
    ['I live at 221B Baker Street, flat 4 in London', 'I live at [ADDRESS] in London'],
    ['send it to 12 north oak ave please', 'send it to [ADDRESS] please'],
    ['postcode SW1A 1AA thanks', 'postcode [ADDRESS] thanks'],
    ['寄到上海市浦东新区世纪大道100号', '[ADDRESS]'],
    ['地址：朝阳区建国路88号3栋2单元501室，谢谢', '地址：[ADDRESS]，谢谢'],
  ];
  for (const [input, want] of cases) t.equal(redact(input).text, want, input);
  // Not addresses: a street without a number, a counter number, digits before "road" in a sentence.
  for (const keep of ['I walked down the street', '请到第3号窗口']) t.equal(redact(keep).text, keep, keep);
  t.notMatch(redact('my order 12345 arrived on the road').text, /ADDRESS/u);
  t.same(redact('221B Baker Street').types, ['ADDRESS']);
});
