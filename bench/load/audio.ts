// Test/load audio made from recorded flite speech: a two-party conversation (agent and customer
// taking turns with silences between) as 8 kHz µ-law per leg for SIPREC RTP, and as interleaved
// L16 stereo for audio-fork websockets. Sentences are synthesised once per directory and cached.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { linearToUlaw } from '../../src/ingest/codecs/g711.js';

const AGENT = [
  'Thank you for calling, this call may be recorded for quality purposes.',
  'I can help you with that, let me look up your account.',
  'I understand, I am sorry for the trouble.',
  'Is there anything else I can help you with today?',
];
const CUSTOMER = [
  'Hello, I would like to cancel my account please.',
  'This is the third time I am calling about the same problem.',
  'I want to speak to your supervisor.',
  'Thank you, that is all for today.',
];

/** One sentence as 16 kHz mono s16 (flite kal16 survives the telephone channel best). */
function sentence(dir: string, who: 'agent' | 'customer', i: number): Int16Array {
  const raw = path.join(dir, `${who}-${i}.s16`);
  if (!existsSync(raw)) {
    const wav = path.join(dir, `${who}-${i}.wav`);
    const text = (who === 'agent' ? AGENT : CUSTOMER)[i];
    execFileSync('flite', ['-voice', who === 'agent' ? 'kal16' : 'awb', '-t', text, '-o', wav], { timeout: 20_000 });
    execFileSync('sox', [wav, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-L', '-t', 'raw', raw], { timeout: 20_000 });
  }
  const b = readFileSync(raw);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

export interface Conversation {
  /** 16 kHz mono per leg, the same length. */
  agent: Int16Array;
  customer: Int16Array;
  /** Sentences spoken per leg (an upper bound on final transcripts that are not split). */
  turns: { agent: number; customer: number };
  seconds: number;
}

/**
 * Turns alternate agent → customer with 1.5–3.5 s of silence (deterministic from `variant`)
 * until `seconds` is filled; the tail is silence so every utterance ends inside the call.
 */
export function conversation(dir: string, seconds: number, variant = 0): Conversation {
  const n = seconds * 16000;
  const agent = new Int16Array(n);
  const customer = new Int16Array(n);
  const turns = { agent: 0, customer: 0 };
  let pos = 16000 * (0.5 + (variant % 3) * 0.3);
  for (let k = 0; ; k++) {
    const who = k % 2 === 0 ? 'agent' : 'customer';
    const s = sentence(dir, who, (k + variant) % 4);
    if (pos + s.length + 16000 > n) break;
    (who === 'agent' ? agent : customer).set(s, pos);
    turns[who]++;
    pos += s.length + Math.round(16000 * (1.5 + (((k * 7 + variant * 3) % 5) / 2.5)));
  }
  return { agent, customer, turns, seconds };
}

/** 16 kHz → 8 kHz µ-law (pairwise average: speech here has little above 4 kHz). */
export function toUlaw8k(pcm16k: Int16Array): Buffer {
  const out = Buffer.alloc(pcm16k.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = linearToUlaw((pcm16k[2 * i] + pcm16k[2 * i + 1]) >> 1);
  return out;
}

/** Two legs interleaved as little-endian s16 stereo (channel 0 first). */
export function interleaveL16(a: Int16Array, b: Int16Array): Buffer {
  const out = Buffer.alloc(a.length * 4);
  for (let i = 0; i < a.length; i++) {
    out.writeInt16LE(a[i], 4 * i);
    out.writeInt16LE(b[i], 4 * i + 2);
  }
  return out;
}

/** A conversation as a stereo audio fork sends it: channel 0 is the customer (the A leg), 1 the agent. */
export function forkStereo(c: { agent: Int16Array; customer: Int16Array }): Buffer {
  return interleaveL16(c.customer, c.agent);
}
