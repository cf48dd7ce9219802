// Per-call state is bounded: 1,000 calls run through the real pipeline's bus (the real registry,
// store on a SQLite file, analysis, KPIs, alarms, care, speech stage) — start, two legs, final
// transcripts that raise categories and alarms, end — and afterwards no stage holds anything for
// them: live calls, trackers, alarm engine state, cooldown scopes, speech legs are all zero. The only
// state kept after a call is analysis's ended-summary cache, which has a fixed cap.
// The speech stage runs for real when the pocketsphinx addon is built; without it the stage still
// tracks legs (no recogniser, so no audio is sent here: transcripts are emitted as the stage would).
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { validateConfig } from '../../src/config/index.js';
import { ENDED_IDS_KEEP } from '../../src/analysis/stage.js';
import { RECENT_KEEP } from '../../src/alarms/engine.js';
import { createPipeline } from '../../src/main.js';
import { dbOf } from '../helpers/db.js';

const CALLS = 1000;
const BATCH = 50; // concurrent calls at a time (limits.maxCalls 200)
const ENDED_CACHE = 500; // src/analysis/stage.ts ENDED_KEEP

const LINES: { role: 'customer' | 'agent'; text: string }[] = [
  { role: 'agent', text: 'thank you for calling this call may be recorded my name is sam how can i help' },
  { role: 'customer', text: 'this is terrible i am really angry nobody ever fixes anything' },
  { role: 'customer', text: 'i want to speak to your manager right now this is awful' },
  { role: 'agent', text: 'i am sorry to hear that let me look at your account' },
  { role: 'customer', text: 'i am going to cancel and switch to another provider this is the worst service' },
  { role: 'agent', text: 'i understand is there anything else i can help with today' },
];

t.test(`${CALLS} calls through the bus leave no per-call state in any stage`, { timeout: 300_000 }, async (t) => {
  const dir = t.testdir();
  const config = validateConfig({
    dataDir: join(dir, 'data'),
    http: { host: '127.0.0.1', port: 0 },
    sip: { front: 'off' },
    speech: { workers: 1 },
    analysis: { semantic: { enabled: false } },
  });
  const p = await createPipeline(config, pino({ level: 'silent' }));
  t.teardown(() => p.close());
  const { bus, calls } = p;

  let utterances = 0;
  let alarms = 0;
  let ended = 0;
  bus.on('utterance', () => utterances++);
  bus.on('alarm', () => alarms++);
  bus.on('call.ended', () => ended++);
  let listenerErrors = 0;
  const onErr = bus.onListenerError;
  bus.onListenerError = (ev, err) => {
    listenerErrors++;
    onErr(ev, err);
  };

  const t0 = Date.now() - 3_600_000;
  const ids: { callId: string; legId: string }[] = [];
  for (let b = 0; b < CALLS / BATCH; b++) {
    const open = [];
    for (let i = 0; i < BATCH; i++) {
      const n = b * BATCH + i;
      const call = calls.open({ ingest: 'audio-fork', externalId: `leak-${n}`, startedAt: t0 + n * 1000, agentId: `agent-${n % 25}`, callerId: `+4930${1000000 + n}` });
      const legs = {
        agent: calls.addLeg(call.info.callId, { role: 'agent', label: 'agent' }),
        customer: calls.addLeg(call.info.callId, { role: 'customer', label: 'customer' }),
      };
      open.push({ call, legs });
      ids.push({ callId: call.info.callId, legId: legs.customer.legId });
    }
    for (const { call, legs } of open) {
      const seq = { agent: 0, customer: 0 };
      LINES.forEach((l, k) => {
        const leg = legs[l.role];
        const startMs = k * 4000;
        bus.emit('call.event', { callId: call.info.callId, legId: leg.legId, kind: 'speech', tMs: startMs, data: { startMs, endMs: startMs + 3500 } });
        bus.emit('transcript', { callId: call.info.callId, legId: leg.legId, role: l.role, seq: seq[l.role]++, text: l.text, startMs, endMs: startMs + 3500, final: true });
      });
    }
    for (const { call } of open) calls.close(call.info.callId, 'ended', t0 + (b * BATCH) * 1000 + 60_000);
    await calls.idle(); // every call.ended emitted (after the speech drain)
  }
  // Stragglers: a recogniser cut by the drain cap still emits finals (and VAD segments) after
  // call.ended; for the oldest calls too, long out of any recently-ended cache. None may open state.
  for (const { callId, legId } of ids.filter((_, i) => i % 100 === 0)) {
    bus.emit('call.event', { callId, legId, kind: 'speech', tMs: 90_000, data: { startMs: 90_000, endMs: 91_000 } });
    bus.emit('transcript', { callId, legId, role: 'customer', seq: 99, text: 'hello are you still there this is terrible', startMs: 90_000, endMs: 91_000, final: true });
    bus.emit('transcript', { callId, legId, role: 'customer', seq: 100, text: 'hello', startMs: 92_000, endMs: 92_500, final: false });
  }
  await p.analysis.idle();
  p.store.flush();

  // The run did real work in every stage.
  t.equal(ended, CALLS, 'every call ended');
  t.equal(utterances, CALLS * LINES.length, 'every transcript in a call became an utterance; stragglers after its end did not');
  t.ok(alarms >= CALLS, `alarms raised (${alarms})`);
  t.equal(listenerErrors, 0, 'no listener failed');
  const stored = dbOf(p.store).prepare(`SELECT count(*) AS n, sum(summary IS NOT NULL) AS kpi FROM calls WHERE state = 'ended'`).get() as { n: number; kpi: number };
  t.same(stored, { n: CALLS, kpi: CALLS }, 'every call stored with its final KPIs');

  // And holds nothing for them afterwards.
  t.equal(calls.size, 0, 'registry: no live call');
  const a = p.analysis.size();
  t.same({ calls: a.calls, ending: a.ending, pending: a.pending, typed: a.typed }, { calls: 0, ending: 0, pending: 0, typed: 0 }, 'analysis: no live call, queue or typed flag (stragglers opened none)');
  t.equal(a.ended, ENDED_CACHE, `analysis: the ended-summary cache stays at its cap (${ENDED_CACHE})`);
  t.equal(a.endedIds, CALLS, `analysis: ended ids only, capped at ${ENDED_IDS_KEEP}`);
  t.same(p.kpi.size(), { calls: 0, typed: 0 }, 'kpi: no tracker');
  const al = p.alarms.size();
  t.same({ calls: al.calls, agents: al.agents }, { calls: 0, agents: 0 }, 'alarms: no engine state, no agent lookup');
  // Ended calls are kept a little while for their late category hits (analysis behind the bus), bounded.
  t.equal(al.recent, RECENT_KEEP, `alarms: the last ${RECENT_KEEP} ended calls kept for late hits, no more`);
  t.ok(al.scopes <= 25 * 2 + RECENT_KEEP, `alarms: today's agent-day cooldown scopes and those of the last ${RECENT_KEEP} ended calls (${al.scopes} for 25 agents), not one per call seen`);
  const s = p.speech.size?.();
  t.ok(s, 'the speech stage reports its per-leg state');
  t.same(s, { legs: 0, seqs: 0, latency: 0, pool: 0 }, `speech: no leg left (engine ${p.speech.ready().engine}, ok ${p.speech.ready().ok})`);
  const active = (await p.metrics.registry.getSingleMetric('earshot_calls_active')!.get()).values.reduce((n, v) => n + v.value, 0);
  t.equal(active, 0, 'pipeline metrics: no call counted active');
  // Care keeps no per-call state in memory (survey triggers and cases live in the store): its
  // requests for these calls are rows, bounded by the calls themselves.
  const requests = (dbOf(p.store).prepare('SELECT count(*) AS n FROM survey_requests').get() as { n: number }).n;
  t.ok(requests <= CALLS, `care: ${requests} survey request rows for ${CALLS} calls`);
});
