// Property tests: redaction never lets a card number through whatever its spelling, and no
// input — transcript text or rule file — makes the analysis throw.
import t from 'tap';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { CallRedactor, redact } from '../../src/analysis/redact/index.js';
import { findDigitRuns, luhnValid } from '../../src/analysis/redact/digits.js';
import { parseRuleSource } from '../../src/analysis/rules/index.js';

const EN = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const ZH = '零幺二三四五六七八九';
const FILLER = ['my', 'card', 'is', 'please', 'the', 'number', 'thanks', 'uh', 'and', 'so', 'okay', '我的', '卡号', '是', '好的'];

/** A Luhn-valid 16-digit Visa-range number from 15 random digits. */
const card = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 15 }).map((ds) => {
  const body = `4${ds.slice(1).join('')}`;
  for (let c = 0; c < 10; c++) if (luhnValid(body + c)) return body + c;
  throw new Error('unreachable');
});
const spelling = fc.constantFrom('plain', 'groups-space', 'groups-dash', 'en-words', 'zh-words', 'mixed');
const spell = (d: string, how: string): string => {
  switch (how) {
    case 'plain': return d;
    case 'groups-space': return d.match(/.{4}/g)!.join(' ');
    case 'groups-dash': return d.match(/.{4}/g)!.join('-');
    case 'en-words': return [...d].map((c) => EN[Number(c)]).join(' ');
    case 'zh-words': return [...d].map((c) => ZH[Number(c)]).join('');
    default: return [...d].map((c, i) => (i % 2 ? EN[Number(c)] : c)).join(' ');
  }
};
const words = fc.array(fc.constantFrom(...FILLER), { maxLength: 6 }).map((w) => w.join(' '));

t.test('a card number never survives redaction, however it is spelt', async (t) => {
  fc.assert(
    fc.property(card, spelling, words, words, (d, how, pre, post) => {
      const out = redact(`${pre} ${spell(d, how)} ${post}`).text;
      return findDigitRuns(out).every((r) => r.digits.length < 4) && out.includes('[CARD]');
    }),
    { numRuns: 300 },
  );
  t.pass('300 spellings redacted');
});

t.test('a card number split anywhere over two utterances never survives', async (t) => {
  fc.assert(
    fc.property(card, fc.integer({ min: 3, max: 13 }), fc.constantFrom('en-words', 'zh-words', 'plain'), (d, cut, how) => {
      const r = new CallRedactor();
      const a = r.final('leg', `my card number is ${spell(d.slice(0, cut), how)}`, 0, 3000);
      const b = r.final('leg', spell(d.slice(cut), how), 3500, 7000);
      return [a.text, b.text].every((x) => findDigitRuns(x).every((run) => run.digits.length < 3)) && b.types.includes('CARD');
    }),
    { numRuns: 200 },
  );
  t.pass('200 split points');
});

t.test('arbitrary text never throws', async (t) => {
  const r = new CallRedactor();
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.boolean(), (s, fin) => {
      const out = fin ? r.final('l', s, 0, 1000) : r.partial('l', s, 0);
      return typeof out.text === 'string';
    }),
    { numRuns: 500 },
  );
  t.pass('500 strings');
});

t.test('arbitrary rule files give errors, never exceptions', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.anything(), fc.record({ rules: fc.array(fc.anything(), { maxLength: 3 }) })), (doc) => {
      let text: string | undefined;
      try {
        text = stringify(doc) as string | undefined;
      } catch {
        return true; // not representable as YAML: nothing to parse
      }
      if (typeof text !== 'string') return true;
      const res = parseRuleSource(text, 'fuzz.yaml');
      return Array.isArray(res.errors) && (res.errors.length > 0 || Array.isArray(res.rules));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => Array.isArray(parseRuleSource(text, 'fuzz.yaml').errors)),
    { numRuns: 300 },
  );
  t.pass('600 documents');
});
