// Redaction of one utterance, and the per-call state that lets a number said over two
// utterances ("my card is four five three two" … "one five one one …") still be caught.
import { CallContext, EMPTY_CONTEXT, cuesIn, mergeContext, type Context } from './context.js';
import { cnIdValid, findDigitRuns, looksLikePhone, luhnValid, type DigitRun } from './digits.js';
import { namePass } from './names.js';
import { patternPass, restoreKept, type Found, type RedactionType } from './patterns.js';

export interface Redaction {
  text: string;
  /** One entry per token put in, in order. */
  types: RedactionType[];
}

/** Digits carried over from the end of a leg's previous final, for numbers split over utterances. */
export interface Tail {
  digits: string;
  endMs: number;
}

/** Longest number we join across utterances (a 19-digit card); older digits drop off. */
const MAX_TAIL = 19;
/** A pause longer than this ends a number even if the next utterance starts with digits. */
export const TAIL_GAP_MS = 6000;

/**
 * Public service numbers everyone dials, not anyone's data: China's 5-digit government hotlines
 * (12315 market regulator, 12345 city hotline, 12300 telecoms, 12348 legal aid, 12378 banking…)
 * and 5-digit 95xxx company service lines. "我要打12315" is an escalation the rules must see.
 */
const PUBLIC_NUMBER = /^(?:123\d\d|95\d{3})$/u;

function classify(d: string, ownDigits: number, trailing: boolean, ctx: Context, cues: Context): RedactionType | null {
  const n = d.length;
  // At the end of an utterance a run may still be the start of a card (9558… is one), so there
  // only a 123xx hotline, and only with no card, phone or ID talk in the call.
  if (ownDigits === n && PUBLIC_NUMBER.test(d) && (!trailing || (d.startsWith('123') && !ctx.card && !ctx.phone && !ctx.id))) return null;
  // Issuer prefixes (Amex 3, Visa 4, Mastercard 2/5, Discover/UnionPay 6) keep +86… phones out.
  if (luhnValid(d) && n >= 13 && /^[2-6]/u.test(d)) return 'CARD';
  if (n === 18 && (cnIdValid(d) || ctx.id)) return 'ID';
  if (n >= 13 && n <= 19 && ctx.card) return 'CARD';
  if (n === 9 && ctx.ssn) return 'ID';
  // "my card number is 4532…" right after a CVV question is the card, not the code.
  const cardTalkNow = cues.card && !cues.cvv;
  if (n >= 3 && n <= 4 && ctx.cvv && ownDigits === n && !cardTalkNow) return 'CVV';
  if (n >= 7 && n <= 15 && (ctx.phone || looksLikePhone(d))) return 'PHONE';
  if (n >= 5) return 'DIGITS';
  // A short run at the very end may be the start of a longer number said in the next breath.
  if (trailing && ownDigits >= 3) return 'DIGITS';
  return null;
}

export interface RedactOptions {
  ctx?: Context;
  tail?: Tail;
  startMs?: number;
}

export interface RedactOutcome extends Redaction {
  /** The tail to carry into the leg's next utterance (undefined: the utterance did not end in digits). */
  tail?: Tail;
  cues: Context;
}

/** Pure: redacts `text` given the conversation context and the leg's digit tail. */
export function redactWith(text: string, opts: RedactOptions = {}, endMs = 0): RedactOutcome {
  const cues = cuesIn(text);
  const ctx = mergeContext(opts.ctx ?? EMPTY_CONTEXT, cues);
  const found: Found[] = [];
  const kept: string[] = [];
  const pre = patternPass(namePass(text, found), ctx, found, kept);
  const runs = findDigitRuns(pre);
  const tailUsable = opts.tail && (opts.startMs === undefined || opts.startMs - opts.tail.endMs <= TAIL_GAP_MS);
  let out = '';
  let pos = 0;
  let nextTail: Tail | undefined;
  const types: RedactionType[] = [];
  // Tokens from the pattern pass come first in the text order they were found; good enough for counts.
  for (const f of found) types.push(f.type);
  runs.forEach((r: DigitRun, i) => {
    const joined = i === 0 && r.leading && tailUsable ? opts.tail!.digits + r.digits : r.digits;
    let type = classify(joined, r.digits.length, r.trailing, ctx, cues);
    // A run that alone is nothing, joined to the tail makes a number: still redact this part.
    if (!type && joined !== r.digits && joined.length >= 5) type = 'DIGITS';
    // "(555) 123…" and "+86 138…": the bracket or plus belongs to the number.
    const lead = type && /[(+（]$/u.test(pre.slice(pos, r.start)) ? 1 : 0;
    out += pre.slice(pos, r.start - lead);
    if (type) {
      out += `[${type}]`;
      types.push(type);
    } else out += pre.slice(r.start, r.end);
    pos = r.end;
    if (r.trailing) nextTail = { digits: joined.slice(-MAX_TAIL), endMs };
  });
  out += pre.slice(pos);
  return { text: restoreKept(out, kept), types, tail: nextTail, cues };
}

/**
 * Per-call redaction state: conversation cues shared by both legs, digit tails per leg.
 * Finals advance the state; partials only read it (a partial is superseded by its final).
 */
export class CallRedactor {
  readonly #ctx = new CallContext();
  readonly #tails = new Map<string, Tail>();

  final(legId: string, text: string, startMs: number, endMs: number): Redaction {
    const r = redactWith(text, { ctx: this.#ctx.current, tail: this.#tails.get(legId), startMs }, endMs);
    this.#ctx.push(r.cues);
    if (r.tail) this.#tails.set(legId, r.tail);
    else this.#tails.delete(legId);
    return { text: r.text, types: r.types };
  }

  partial(legId: string, text: string, startMs: number): Redaction {
    const r = redactWith(text, { ctx: this.#ctx.current, tail: this.#tails.get(legId), startMs });
    return { text: r.text, types: r.types };
  }
}

/** Stateless redaction of one text (no cross-utterance context). `lang` is a hint only: both vocabularies always apply. */
export function redact(text: string, _lang?: 'en' | 'zh' | 'unknown'): Redaction {
  const r = redactWith(text);
  return { text: r.text, types: r.types };
}
