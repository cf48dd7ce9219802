import t from 'tap';
import type { Utterance } from '../../src/call/types.js';
import { createKpi } from '../../src/kpi/index.js';
import { counterValue, startCall, testEnv } from '../alarms/helpers/env.js';
import { dbOf } from '../helpers/db.js';

const T0 = 1_700_000_000_000;

function utt(callId: string, legId: string, role: 'agent' | 'customer', seq: number, startMs: number, endMs: number, sentiment: number, text = 'one two three four'): Utterance {
  return { callId, legId, role, seq, text, lang: 'en', startMs, endMs, sentiment, emotion: sentiment < -0.3 ? 'angry' : 'neutral', emotionConfidence: 0.8, categories: [], redactions: 0 };
}

t.test('two-leg call with 12 s of silence and 3 interruptions', async (t) => {
  const env = testEnv(t.testdir());
  const kpi = createKpi(env);
  t.teardown(() => kpi.close());
  const { bus } = env;
  const c = startCall(bus, { startedAt: T0, agentId: 'a1', queue: 'billing' });
  const speech = (legId: string, startMs: number, endMs: number) => bus.emit('call.event', { callId: c.callId, legId, kind: 'speech', tMs: endMs, data: { startMs, endMs } });
  speech(c.agent, 1000, 8000);
  speech(c.customer, 7000, 15000); // customer takes the floor: A stops 1000 ms later
  speech(c.agent, 20000, 30000);
  speech(c.customer, 22000, 22500); // backchannel: agent keeps talking, not an interruption
  speech(c.customer, 29500, 35000); // customer interruption 2
  speech(c.agent, 34000, 40000); // agent interruption 1
  bus.emit('call.event', { callId: c.callId, kind: 'hold', tMs: 40000 });
  bus.emit('call.event', { callId: c.callId, kind: 'resume', tMs: 45000 });
  speech(c.customer, 47000, 50000);
  speech(c.agent, 48000, 56000); // near miss: customer stops 2000 ms later (> 1500 yield window)
  const sents = [0.5, 0.2, -0.5, -0.6, -0.7];
  sents.forEach((s, i) => bus.emit('utterance', utt(c.callId, c.customer, 'customer', i, 7000 + i * 1000, 7800 + i * 1000, s)));
  bus.emit('utterance', utt(c.callId, c.agent, 'agent', 0, 1000, 7000, 0.2, 'w '.repeat(20)));
  bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 9000, data: { category: 'competitor' } });
  bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 9500, data: { category: 'competitor' } });
  bus.emit('leg.stats', { callId: c.callId, legId: c.customer, stats: { packets: 990, lost: 10, jitterMs: 12 } });

  t.match(await env.metrics.registry.getSingleMetricAsString('earshot_kpi_live_calls'), /earshot_kpi_live_calls 1/);
  const live = kpi.live(c.callId);
  t.equal(live?.durationMs, 56000, 'live duration runs to the latest event');

  bus.emit('call.ended', { callId: c.callId, state: 'ended', endedAt: T0 + 60000 });
  const row = dbOf(env.store).prepare('SELECT summary FROM calls WHERE id = ?').get(c.callId) as { summary: string };
  const k = JSON.parse(row.summary).kpi;
  t.equal(k.durationMs, 60000);
  t.equal(k.silenceMs, 12000, 'exactly 12 s of silence (hold excluded)');
  t.equal(k.longestSilenceMs, 5000);
  t.equal(k.customer.interruptions, 2);
  t.equal(k.agent.interruptions, 1);
  t.equal(k.customer.interruptions + k.agent.interruptions, 3, 'three interruptions');
  t.equal(k.overtalkMs, 5000);
  t.equal(k.agent.talkMs, 31000);
  t.equal(k.customer.talkMs, 17000);
  t.equal(k.agentTalkRatio, Math.round((31 / 48) * 1e4) / 1e4);
  t.equal(k.agentFirstWordsMs, 1000);
  t.equal(k.holdMs, 5000);
  t.equal(k.agent.speechRate, 200, '20 words in 6 s');
  t.same(k.categories, { competitor: 2 });
  t.equal(k.sentiment.negativeEnd, true);
  t.equal(k.sentiment.negativeSwing, true);
  t.equal(k.sentiment.worst[0].sentiment, -0.7);
  t.equal(k.sentiment.emotions.customer.angry, 3);
  t.equal(k.network[c.customer].lossRatio, 0.01);
  t.equal(k.short, false);
  t.equal(kpi.live(c.callId), undefined, 'forgotten after the end');
  t.equal(await counterValue(env.metrics, 'earshot_kpi_calls_finalized_total', { counted: 'yes' }), 1);
});

t.test('without VAD segments talk comes from utterances; short calls are flagged; bad segments counted', async (t) => {
  const env = testEnv(t.testdir(), { kpi: { minCallSeconds: 10 } });
  const kpi = createKpi(env);
  t.teardown(() => kpi.close());
  const c = startCall(env.bus, { startedAt: T0 });
  env.bus.emit('utterance', utt(c.callId, c.agent, 'agent', 0, 500, 2500, 0));
  env.bus.emit('utterance', utt(c.callId, c.customer, 'customer', 0, 3000, 4000, 0));
  env.bus.emit('call.event', { callId: c.callId, legId: c.agent, kind: 'speech', tMs: 0, data: { startMs: 5, endMs: 'x' } });
  env.bus.emit('call.event', { callId: c.callId, legId: c.agent, kind: 'speech', tMs: 0, data: { startMs: 900, endMs: 100 } });
  const k = kpi.finalize(c.callId, T0 + 5000);
  t.equal(k?.agent.talkMs, 2000);
  t.equal(k?.customer.talkMs, 1000);
  t.equal(k?.silenceMs, 2000);
  t.equal(k?.short, true);
  t.equal(await counterValue(env.metrics, 'earshot_bad_input_total', { parser: 'kpi', reason: 'speech-segment' }), 2);
});
