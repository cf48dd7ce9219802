// Call-centre English that VADER (tuned on social media) scores as neutral: waiting, repeat
// contacts, broken service, billing errors, resolution. Valences on VADER's -4..+4 scale, added
// to VADER's own sum. Matched case-insensitively on word boundaries.

export const EN_PHRASES: [string, number][] = [
  ['been waiting', -1.5], ['still waiting', -2], ['waiting for (?:hours|days|weeks|ages)', -2], ['on hold for', -1.2],
  ['(?:second|third|fourth|fifth) time', -1.5], ['again and again', -1.5], ['every time', -0.8], ['keeps? happening', -1.8],
  ['still (?:not|isn\'t|doesn\'t|hasn\'t|haven\'t)', -1.5], ['not working', -1.8], ['(?:doesn\'t|does not|don\'t|do not) work', -1.8],
  ['(?:isn\'t|is not) working', -1.8], ['stopped working', -1.8], ['broken', -1.5], ['no signal', -1.5], ['outage', -1.5],
  ['charged (?:me )?twice', -2], ['double charged', -2], ['overcharged', -2], ['wrong (?:bill|charge|amount)', -1.8],
  ['(?:nobody|no one|no-one) (?:called|got|gets|came|answered)', -2], ['never (?:called|came|got|arrived|answered)', -2],
  ['fed up', -2.2], ['sick of', -2], ['waste of (?:time|money)', -2], ['rip[- ]?off', -2.5], ['not acceptable', -2],
  ['cancel (?:my|the) (?:account|subscription|contract|service)', -1.2], ['speak to (?:a|your) (?:supervisor|manager)', -0.8],
  ['(?:fixed|sorted|solved|resolved) (?:it|that|this|my)', 1.8], ['(?:is|are|was|has been) (?:fixed|sorted|solved|resolved)', 1.8],
  ['works (?:now|again|fine)', 1.8], ['working (?:now|again)', 1.8], ['that helps', 1.5], ['very helpful', 2],
  ['(?:appreciate|appreciated) (?:it|that|your)', 1.8], ['you\'ve been (?:great|brilliant|amazing)', 2.5],
];

const COMPILED: [RegExp, number][] = EN_PHRASES.map(([p, v]) => [new RegExp(`(?<![\\p{L}])${p}(?![\\p{L}])`, 'giu'), v]);

/** Sum of call-centre phrase valences in a text. */
export function callCentreValence(text: string): number {
  let sum = 0;
  for (const [re, v] of COMPILED) {
    re.lastIndex = 0;
    const n = text.match(re)?.length ?? 0;
    sum += n * v;
  }
  return sum;
}
