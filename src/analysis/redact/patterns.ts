// Pattern passes that run before the digit scan: e-mails, dates and written SSNs have their own
// shape, and removing them first stops their digits being read as phone or card numbers.
import type { Context } from './context.js';

export type RedactionType = 'CARD' | 'CVV' | 'PHONE' | 'EMAIL' | 'ID' | 'DOB' | 'DIGITS' | 'NAME' | 'ADDRESS';
/** Every token redaction can put in the text, for readers of stored transcripts. */
export const REDACTION_TOKEN = /\[(CARD|CVV|PHONE|EMAIL|ID|DOB|DIGITS|NAME|ADDRESS)\]/gu;

const TLD = '(?:com|net|org|edu|gov|cn|co|io|uk|de|info|biz|me|us)';
const EMAIL_WRITTEN = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/giu;
const EMAIL_SPOKEN = new RegExp(
  `\\b[a-z0-9]+(?:\\s+(?:dot|underscore|dash)\\s+[a-z0-9]+)*\\s+at\\s+[a-z0-9]+(?:\\s+dot\\s+[a-z0-9]+)*\\s+dot\\s+${TLD}\\b` +
    `|[a-z0-9._]+\\s*(?:@|艾特)\\s*[a-z0-9]+\\s*(?:点|\\.)\\s*${TLD}`,
  'giu',
);

const MONTH = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const NUMWORD =
  '(?:\\d{1,4}(?:st|nd|rd|th)?|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|ninety|eighty|seventy|sixty|fifty|forty|thirty|twenty|nineteen|eighteen|seventeen|sixteen|fifteen|fourteen|thirteen|twelve|eleven|ten|one|two|three|four|five|six|seven|eight|nine|oh|zero|hundred|thousand|and|of|the)';
const ZH_NUM = '[0-9零〇一二三四五六七八九十两]';
const DATES = [
  /\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b/giu,
  // Day-before-month before month-first, so "the fifth of march 1985" is taken whole.
  new RegExp(`\\b${NUMWORD}(?:\\s+${NUMWORD})?\\s+(?:of\\s+)?${MONTH}\\b(?:[\\s,]+${NUMWORD}\\b){1,6}`, 'giu'),
  new RegExp(`\\b${MONTH}\\b(?:[\\s,]+${NUMWORD}\\b){2,7}`, 'giu'),
  new RegExp(`${ZH_NUM}{2,4}\\s*年\\s*${ZH_NUM}{1,3}\\s*月\\s*${ZH_NUM}{1,3}\\s*[日号]`, 'gu'),
];
const SSN_WRITTEN = /\b\d{3}-\d{2}-\d{4}\b/gu;

// Street addresses as people type or say them. en: a house number, one to four words and a street
// kind ("221B Baker Street", "12 north oak ave, apt 4"); a UK postcode. zh: an optional province /
// city / district prefix, a road, a number and 号, then building, unit and room
// ("北京市朝阳区建国路88号3栋2单元501室"). Whole addresses only: "the street" alone is not one.
const STREET = '(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|close|crescent|terrace|square|sq|highway|hwy|parkway|pkwy)';
const ADDRESS_EN = new RegExp(
  `\\b\\d{1,5}[a-z]?(?:\\s+(?!(?:on|in|at|to|of|the|a|and|or|for|from|by|was|is|are|my|your|arrived|came|went|down|up)\\b)[a-z][a-z'-]*){1,4}\\s+${STREET}\\b\\.?(?:,?\\s*(?:apt|apartment|flat|suite|unit|#)\\s*\\w{1,6})?|\\b[a-z]{1,2}\\d[a-z\\d]?\\s*\\d[a-z]{2}\\b(?=[\\s,.]|$)`,
  'giu',
);
const ZH_NUMS = '[0-9０-９零〇一二三四五六七八九十百两]';
const ADDRESS_ZH = new RegExp(
  `(?:[\\u4e00-\\u9fff]{2,7}(?:省|自治区))?(?:[\\u4e00-\\u9fff]{2,7}市)?(?:[\\u4e00-\\u9fff]{1,7}(?:区|县|镇))?[\\u4e00-\\u9fff${ZH_NUMS.slice(1, -1)}]{1,12}(?:路|街|大道|大街|巷|胡同|弄)${ZH_NUMS}{1,5}(?:号|號)(?:院)?(?:${ZH_NUMS}{1,4}(?:栋|幢|座|号楼|楼|单元|层|室|号))*`,
  'gu',
);

export interface Found {
  type: RedactionType;
}

/** Replaces every match of `re` with a token and records it. */
function sub(text: string, re: RegExp, type: RedactionType, found: Found[]): string {
  return text.replace(re, () => {
    found.push({ type });
    return `[${type}]`;
  });
}

/**
 * E-mails and written SSNs always go. Dates go as [DOB] when birth was mentioned; other dates
 * are protected (returned as placeholders) so the digit scan leaves "March 5, 2024" alone.
 */
export function patternPass(text: string, ctx: Context, found: Found[], kept: string[]): string {
  let out = sub(text, EMAIL_WRITTEN, 'EMAIL', found);
  out = sub(out, EMAIL_SPOKEN, 'EMAIL', found);
  out = sub(out, SSN_WRITTEN, 'ID', found);
  // Before the digit scan, so a house or room number is not read as part of a phone number.
  out = sub(out, ADDRESS_ZH, 'ADDRESS', found);
  out = sub(out, ADDRESS_EN, 'ADDRESS', found);
  for (const re of DATES) {
    out = out.replace(re, (m) => {
      if (ctx.birth) {
        found.push({ type: 'DOB' });
        return '[DOB]';
      }
      kept.push(m);
      return `\u0001${kept.length - 1}\u0002`;
    });
  }
  return out;
}

export function restoreKept(text: string, kept: string[]): string {
  // eslint-disable-next-line no-control-regex -- \u0001/\u0002 are the placeholder brackets this module writes itself
  return kept.length ? text.replace(/\u0001(\d+)\u0002/gu, (_, i: string) => kept[Number(i)]) : text;
}
