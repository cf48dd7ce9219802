// The interchange format (docs/channels.md): one JSON object per line, a message or a closing line.
// Every source (JSONL, the exports, the live API) is turned into these records and checked here, so
// one set of rules and one set of rejection reasons covers them all.
import { CHANNELS, type Channel } from '../../call/types.js';
import type { Party } from '../../store/repos/index.js';

export const PARTIES: readonly Party[] = ['customer', 'agent', 'bot'];

export interface InMessage {
  conversation: string;
  channel: Channel;
  /** Epoch ms. */
  at: number;
  endAt?: number;
  role: Party;
  /** Raw text: goes only to the analysis stage, which redacts it before anything stores it. */
  text: string;
  id?: string;
  agent?: string;
  queue?: string;
  /** Raw customer identifier: hashed when the conversation opens, never stored or logged. */
  customer?: string;
  lang?: string;
}

export interface InEnd {
  conversation: string;
  end: true;
  at?: number;
}

export type InRecord = { kind: 'message'; m: InMessage } | { kind: 'end'; e: InEnd };

/** Bounded: the `reason` label of earshot_conversation_lines_rejected_total. */
export type RejectReason = 'json' | 'not-object' | 'missing' | 'channel' | 'role' | 'time' | 'too-long' | 'field' | 'ended' | 'limit' | 'format';
export const REJECT_REASONS: readonly RejectReason[] = ['json', 'not-object', 'missing', 'channel', 'role', 'time', 'too-long', 'field', 'ended', 'limit', 'format'];

export interface Rejection {
  reason: RejectReason;
  /** What was wrong, never the line's content (it may hold a card number). */
  detail: string;
}

const MAX_ID = 200;
const MAX_NAME = 64;
const MAX_CUSTOMER = 256;
// 2000-01-01 .. 2100-01-01: anything outside is a unit mistake (seconds for ms) or garbage.
const MIN_AT = 946684800000;
const MAX_AT = 4102444800000;

const reject = (reason: RejectReason, detail: string): Rejection => ({ reason, detail });

/** Epoch ms from epoch milliseconds or an ISO-8601 string; undefined when neither. */
export function toEpochMs(v: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof v === 'number' && Number.isFinite(v)) ms = Math.round(v);
  else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/u.test(v)) {
    const p = Date.parse(v);
    ms = Number.isNaN(p) ? undefined : p;
  }
  return ms !== undefined && ms >= MIN_AT && ms < MAX_AT ? ms : undefined;
}

function optString(o: Record<string, unknown>, key: string, max: number): string | undefined | Rejection {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) return reject('field', `${key} must be a string of 1-${max} characters`);
  return v;
}

const isRejection = (v: unknown): v is Rejection => typeof v === 'object' && v !== null && 'reason' in v;

/**
 * Checks one record. `fixed.conversation` (the live API's URL) wins over the record's own; a
 * record's own that differs is rejected rather than silently moved.
 */
export function parseRecord(v: unknown, maxText: number, fixed: { conversation?: string } = {}): InRecord | Rejection {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return reject('not-object', 'a line is one JSON object');
  const o = v as Record<string, unknown>;
  if (fixed.conversation !== undefined && o.conversation !== undefined && o.conversation !== fixed.conversation) {
    return reject('field', 'conversation differs from the one in the URL');
  }
  const conversation = fixed.conversation ?? o.conversation;
  if (conversation === undefined || conversation === null || conversation === '') return reject('missing', 'conversation is required');
  if (typeof conversation !== 'string' || conversation.length > MAX_ID) return reject('field', `conversation must be a string of 1-${MAX_ID} characters`);
  if (o.end !== undefined) {
    if (o.end !== true) return reject('field', 'end must be true');
    if (o.at === undefined) return { kind: 'end', e: { conversation, end: true } };
    const at = toEpochMs(o.at);
    if (at === undefined) return reject('time', 'at must be epoch milliseconds or ISO-8601');
    return { kind: 'end', e: { conversation, end: true, at } };
  }
  for (const k of ['channel', 'at', 'role', 'text'] as const) {
    if (o[k] === undefined || o[k] === null) return reject('missing', `${k} is required`);
  }
  if (!CHANNELS.includes(o.channel as Channel)) return reject('channel', `channel must be one of ${CHANNELS.join(', ')}`);
  if (!PARTIES.includes(o.role as Party)) return reject('role', `role must be one of ${PARTIES.join(', ')}`);
  if (typeof o.text !== 'string') return reject('field', 'text must be a string');
  if (o.text.length > maxText) return reject('too-long', `text longer than ${maxText} characters (conversations.maxTextChars)`);
  const at = toEpochMs(o.at);
  if (at === undefined) return reject('time', 'at must be epoch milliseconds or ISO-8601 (years 2000-2099)');
  let endAt: number | undefined;
  if (o.endAt !== undefined && o.endAt !== null) {
    endAt = toEpochMs(o.endAt);
    if (endAt === undefined || endAt < at) return reject('time', 'endAt must be a time not before at');
  }
  const m: InMessage = { conversation, channel: o.channel as Channel, at, role: o.role as Party, text: o.text };
  if (endAt !== undefined) m.endAt = endAt;
  for (const [key, max] of [['id', MAX_ID], ['agent', MAX_NAME], ['queue', MAX_NAME], ['customer', MAX_CUSTOMER], ['lang', 16]] as const) {
    const s = optString(o, key, max);
    if (isRejection(s)) return s;
    if (s !== undefined) m[key] = s;
  }
  return { kind: 'message', m };
}

/** One JSONL line (already split, without its newline). */
export function parseLine(line: string, maxText: number): InRecord | Rejection {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return reject('json', 'not valid JSON');
  }
  return parseRecord(v, maxText);
}

export { isRejection };
