// What the conversation is about right now decides what a bare number is: three digits after
// "the code on the back of the card" are a CVV, nine after "social security" an SSN.
// Only these flags are kept between utterances, never the words.

export interface Context {
  card: boolean;
  cvv: boolean;
  phone: boolean;
  ssn: boolean;
  id: boolean;
  birth: boolean;
}

const CUES: Record<keyof Context, RegExp> = {
  card: /\b(?:card|visa|master ?card|amex|credit|debit)\b|卡号|银行卡|信用卡|储蓄卡|借记卡/iu,
  cvv: /\b(?:cvv|cvc|cv2|security code|three digit code|3 digit code|back of (?:the|your) card)\b|安全码|验证码|卡背|背面/iu,
  phone: /\b(?:phone|mobile|cell|telephone|reach (?:me|you)|call (?:me|you) (?:back|on|at))\b|手机|电话|号码|联系方式/iu,
  ssn: /\b(?:social security|ssn|social)\b/iu,
  id: /身份证|证件号|\bid number\b|\bpassport\b|护照/iu,
  birth: /\b(?:born|birth|birthday|dob|date of birth)\b|出生|生日|生于/iu,
};

export const EMPTY_CONTEXT: Readonly<Context> = Object.freeze({ card: false, cvv: false, phone: false, ssn: false, id: false, birth: false });

export function cuesIn(text: string): Context {
  return {
    card: CUES.card.test(text),
    cvv: CUES.cvv.test(text),
    phone: CUES.phone.test(text),
    ssn: CUES.ssn.test(text),
    id: CUES.id.test(text),
    birth: CUES.birth.test(text),
  };
}

export function mergeContext(a: Context, b: Context): Context {
  return {
    card: a.card || b.card,
    cvv: a.cvv || b.cvv,
    phone: a.phone || b.phone,
    ssn: a.ssn || b.ssn,
    id: a.id || b.id,
    birth: a.birth || b.birth,
  };
}

/**
 * The cues of the last few final utterances of a call (both legs: the agent asks for the card,
 * the customer reads it out). Expires by utterance count, not time, so replayed imports behave
 * like live calls.
 */
export class CallContext {
  #recent: Context[] = [];
  constructor(private readonly keep = 4) {}

  get current(): Context {
    return this.#recent.reduce(mergeContext, { ...EMPTY_CONTEXT });
  }

  push(cues: Context): void {
    this.#recent.push(cues);
    if (this.#recent.length > this.keep) this.#recent.shift();
  }
}
