// Personal names. Recogniser output has no capitals, so a name is found by what introduces it:
// "my name is …", "this is … speaking", "mister …", "我叫…", "…先生". Only the words after the cue
// go (up to three, stopping at a word that cannot be part of a name), so "my name is john smith
// and i …" keeps "and i …". A name said with no cue at all is not caught: stated in docs/analysis.md.
import type { Found } from './patterns.js';

/** Words that end a name: function words and the usual continuations of an introduction. */
const STOP = new Set(
  ('a an and are as at be but by calling can could do for from have here hi hello how i im i\'m in is it ' +
    'just like may me my not of on or please really ' +
    'so speaking thank thanks that the then this to today uh um was we well what when who will with would ' +
    'yeah yes you your okay ok sir madam ma\'am calling regarding about someone somebody anyone nobody ' +
    'supervisor manager agent billing support customer service department representative person team').split(' '),
);
const WORD = "[a-z][a-z'-]*";
const EN_CUES = [
  // "my name is john smith", "the name's john". Bare "name is" is not a cue: "the account name is wrong".
  new RegExp(`\\b(?:my name is|my name's|the name is|the name's|my first name is|my last name is|my surname is)\\s+((?:${WORD}\\s*){1,3})`, 'giu'),
  // "this is john speaking", "this is sarah from acme"
  new RegExp(`\\bthis is\\s+((?:${WORD}\\s+){1,2})(?=speaking\\b|from\\b|calling\\b|here\\b)`, 'giu'),
  // "you're speaking with sarah". "call me", "ask for", "doctor" and "miss" are left out: too often not a name.
  new RegExp(`\\b(?:speaking with|you're through to)\\s+((?:${WORD}\\s*){1,2})`, 'giu'),
  new RegExp(`\\b(?:mister|mr\\.?|mrs\\.?|missus|ms\\.?)\\s+((?:${WORD}\\s*){1,2})`, 'giu'),
];
// Chinese: 我叫张伟, 我的名字是张伟, 我姓王, 王先生/李女士/张小姐; 2–3 Han characters is the usual full name.
const HAN = '[\\u4e00-\\u9fff]';
// The commonest surnames: an honorific after one of these is a name, after 这位 or 那个 it is not.
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const ZH_CUES = [
  new RegExp(`(?:我叫|我的名字是|名字叫)(${HAN}{2,3})`, 'gu'),
  new RegExp(`(?:我姓|免贵姓)(${HAN})`, 'gu'),
  new RegExp(`([${SURNAMES}]${HAN}?)(?=(?:先生|女士|小姐))`, 'gu'),
];
const ZH_NOT_NAME = /^(?:是|的|不|一|这|那|在|有|要|想|会|能|没|就|也|都|很|给|跟|和)/u;

/** Keeps the leading words that can be a name; returns how many characters of `m` that covers. */
function nameSpan(m: string): number {
  let end = 0;
  for (const w of m.matchAll(/\S+/gu)) {
    if (STOP.has(w[0].toLowerCase())) break;
    end = w.index + w[0].length;
  }
  return end;
}

export function namePass(text: string, found: Found[]): string {
  let out = text;
  for (const re of EN_CUES) {
    out = out.replace(re, (all: string, name: string) => {
      const n = nameSpan(name);
      if (n === 0) return all;
      found.push({ type: 'NAME' });
      const head = all.slice(0, all.length - name.length);
      return `${head}[NAME]${name.slice(n)}`;
    });
  }
  for (const re of ZH_CUES) {
    out = out.replace(re, (all: string, name: string) => {
      if (ZH_NOT_NAME.test(name)) return all;
      found.push({ type: 'NAME' });
      return all.slice(0, all.length - name.length) + '[NAME]';
    });
  }
  return out;
}
