// Finds runs of digits however they were said: written ("4532 0151"), spoken in English
// ("four five double three", "oh") or in Chinese ("幺三八", "两", "拐"). A recogniser writes
// card and phone numbers as words, so a numerals-only scan would leak most of them.

const WORD_DIGITS: Record<string, string> = {
  zero: '0', oh: '0', o: '0', one: '1', two: '2', three: '3', four: '4',
  five: '5', six: '6', seven: '7', eight: '8', nine: '9',
};
const CJK_DIGITS: Record<string, string> = {
  零: '0', 〇: '0', 洞: '0', 一: '1', 幺: '1', 二: '2', 两: '2', 三: '3', 四: '4',
  五: '5', 六: '6', 七: '7', 拐: '7', 八: '8', 九: '9', 勾: '9',
};

// English words need letter boundaries ("someone" is not "one"); CJK characters and numerals don't.
const TOKEN =
  /(?<![a-z])(zero|oh|o|one|two|three|four|five|six|seven|eight|nine|double|triple|x)(?![a-z])|[0-9０-９]|[零〇洞一幺二两三四五六七拐八九勾叉]/giu;
/** What may sit between two digits of one number: spaces, dashes, dots, brackets, commas. */
const SEPARATOR = /^[\s,，、.。\-–—()（）/+]*$/u;
/** Only punctuation or fillers before/after a run: it may continue from/into the next utterance. */
const EDGE = /^(?:[\s,，、.。!?！？…\-–—]|\b(?:uh|um|er|and|then|so)\b|嗯|呃|然后|还有|是)*$/iu;

export interface DigitRun {
  start: number;
  end: number;
  /** Digits only, plus a final 'X' when a Chinese ID check character was said. */
  digits: string;
  /** Nothing but punctuation or fillers before it: may continue the previous utterance's tail. */
  leading: boolean;
  /** Nothing but punctuation after it: the number may go on in the next utterance. */
  trailing: boolean;
}

export function findDigitRuns(text: string): DigitRun[] {
  const runs: DigitRun[] = [];
  let cur: { start: number; end: number; digits: string } | undefined;
  let mult = 1; // "double five" → 55
  let multEnd = -1;
  const close = () => {
    if (cur && cur.digits.length) runs.push({ ...cur, leading: false, trailing: false });
    cur = undefined;
  };
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const tok = m[0].toLowerCase();
    const start = m.index;
    const end = start + m[0].length;
    const prevEnd = multEnd > -1 ? multEnd : cur?.end;
    const joined = prevEnd !== undefined && SEPARATOR.test(text.slice(prevEnd, start));
    if (!joined) {
      close();
      mult = 1;
      multEnd = -1;
    }
    if (tok === 'double' || tok === 'triple') {
      mult = tok === 'double' ? 2 : 3;
      multEnd = end;
      if (!cur) cur = { start, end: start, digits: '' };
      continue;
    }
    if (tok === 'x' || tok === '叉') {
      // Only the 18th character of a Chinese ID; anywhere else an x is just a letter.
      if (cur && cur.digits.length === 17) {
        cur.digits += 'X';
        cur.end = end;
      }
      close();
      mult = 1;
      multEnd = -1;
      continue;
    }
    const d = digitOf(tok);
    if (!cur) cur = { start, end, digits: '' };
    cur.digits += d.repeat(mult);
    cur.end = end;
    mult = 1;
    multEnd = -1;
  }
  close();
  for (const r of runs) {
    r.leading = EDGE.test(text.slice(0, r.start));
    r.trailing = EDGE.test(text.slice(r.end));
  }
  return runs;
}

function digitOf(tok: string): string {
  if (tok in WORD_DIGITS) return WORD_DIGITS[tok];
  if (tok in CJK_DIGITS) return CJK_DIGITS[tok];
  const c = tok.charCodeAt(0);
  return c >= 0xff10 ? String(c - 0xff10) : tok;
}

export function luhnValid(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let n = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

const CN_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CN_ID_CHECK = '10X98765432';

/** GB 11643 check character of an 18-character resident ID. */
export function cnIdValid(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (id.charCodeAt(i) - 48) * CN_ID_WEIGHTS[i];
  return CN_ID_CHECK[sum % 11] === id[17];
}

/** Mainland mobile, NANP with or without the country code. */
export function looksLikePhone(d: string): boolean {
  return /^1[3-9]\d{9}$/.test(d) || /^[2-9]\d{9}$/.test(d) || /^1[2-9]\d{9}$/.test(d) || /^(?:00|\+)?86\d{11}$/.test(d);
}
