// Utterances analysed per second on one core (full analysis: redaction, language, sentiment,
// voice emotion, fusion, ~20 category rules, bus events) against a baseline measured in the
// same run: redaction alone. Run: node dist/bench/analysis-throughput.js (after npm run build).
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createAnalysis } from '../src/analysis/index.js';
import { CallRedactor } from '../src/analysis/redact/index.js';
import { PipelineBus } from '../src/call/events.js';
import type { Prosody, Role, Transcript } from '../src/call/types.js';
import { validateConfig } from '../src/config/index.js';
import { createMetrics } from '../src/metrics/registry.js';

const LINES: [Role, string][] = [
  ['agent', 'thank you for calling, my name is sam, this call may be recorded for quality'],
  ['customer', 'hi, I have a problem with my last bill, you charged me twice'],
  ['customer', 'my card number is four five three two zero one five one one two eight three zero three six six'],
  ['agent', 'let me verify your identity first, can you confirm your date of birth'],
  ['customer', 'this is ridiculous, I want to speak to your supervisor right now'],
  ['customer', 'contoso would never do this to me, I will cancel my account'],
  ['agent', 'I understand, I am sorry for the trouble, let me fix that for you'],
  ['customer', '你们的服务太慢了，我要投诉'],
  ['customer', '我不是不满意，就是想问一下我的套餐'],
  ['customer', '我的手机号是幺三八一二三四五六七八'],
  ['agent', '您好，本次通话可能会被录音，请问有什么可以帮您'],
  ['customer', '好的，非常感谢你的帮助'],
];
const prosody = (i: number): Prosody => ({ f0MeanHz: 120 + (i % 7) * 6, f0StdHz: 15 + (i % 5), rmsDb: -30 + (i % 4), rmsStdDb: 3, voicedRatio: 0.6 });

function transcripts(calls: number, round: number): Transcript[] {
  const out: Transcript[] = [];
  for (let c = 0; c < calls; c++) {
    LINES.forEach(([role, text], i) => {
      out.push({ callId: `r${round}c${c}`, legId: `r${round}c${c}-${role}`, role, seq: i, text, startMs: i * 4000, endMs: i * 4000 + 3000, final: true, prosody: prosody(i + c) });
    });
  }
  return out;
}

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export async function run(calls = 400): Promise<{ full: number; redactOnly: number; ratio: number }> {
  // Fresh call ids per round: an ended call does not take transcripts again.
  const rounds = [0, 1, 2, 3].map((r) => transcripts(calls, r));
  const input = rounds[0];
  let round = 0;
  const bus = new PipelineBus();
  // Rules, lexicons and fusion on one core; the semantic layer's latency is bench/semantic.ts's.
  const stage = await createAnalysis({ config: validateConfig({ analysis: { semantic: { enabled: false } } }), log: pino({ level: 'silent' }), bus, metrics: createMetrics({ defaults: false }) });
  let n = 0;
  bus.on('utterance', () => n++);
  const full = () => {
    const r = round++;
    for (const t of rounds[r]) bus.emit('transcript', t);
    for (let c = 0; c < calls; c++) bus.emit('call.ended', { callId: `r${r}c${c}`, state: 'ended', endedAt: 0 });
  };
  const redactOnly = () => {
    const per = new Map<string, CallRedactor>();
    for (const t of input) {
      let r = per.get(t.callId);
      if (!r) per.set(t.callId, (r = new CallRedactor()));
      r.final(t.legId, t.text, t.startMs, t.endMs);
    }
  };
  full(); // warm-up: JIT, jieba's caches
  redactOnly();
  // Interleaved rounds so both see the same machine state; best of 3 each.
  let bestFull = Infinity;
  let bestRedact = Infinity;
  for (let i = 0; i < 3; i++) {
    bestRedact = Math.min(bestRedact, time(redactOnly));
    bestFull = Math.min(bestFull, time(full));
  }
  stage.close();
  if (n !== input.length * 4) throw new Error(`expected ${input.length * 4} utterances, saw ${n}`);
  const res = { full: input.length / bestFull, redactOnly: input.length / bestRedact, ratio: bestRedact / bestFull };
  return res;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await run();
  console.log(`analysis: ${Math.round(r.full)} utterances/s per core (full analysis)`);
  console.log(`baseline: ${Math.round(r.redactOnly)} utterances/s per core (redaction only)`);
  console.log(`ratio: full analysis runs at ${(r.ratio * 100).toFixed(1)}% of redaction-only throughput`);
}
