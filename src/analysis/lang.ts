// Language per utterance from the script of its characters: callers switch language mid-call,
// so configuring one per site or call would mislabel half of a bilingual conversation.

export type Lang = 'en' | 'zh' | 'unknown';

const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/gu;

/** Share of CJK characters among letters; 0.3 tolerates English product names inside Chinese speech. */
export function detectLang(text: string): Lang {
  const cjk = text.match(CJK)?.length ?? 0;
  // Latin letters are counted per word so "iPhone" weighs like one CJK word, not six characters.
  const latinWords = text.match(/[a-z]+/giu)?.length ?? 0;
  if (cjk === 0 && latinWords === 0) return 'unknown';
  return cjk / (cjk + latinWords) >= 0.3 ? 'zh' : 'en';
}

export function hasCjk(text: string): boolean {
  CJK.lastIndex = 0;
  return CJK.test(text);
}

/** Removes the spaces some recognisers put between Chinese characters, so phrases match. */
export function joinCjkSpaces(text: string): string {
  return text.replace(/([\u3400-\u9fff\uf900-\ufaff])\s+(?=[\u3400-\u9fff\uf900-\ufaff])/gu, '$1');
}

