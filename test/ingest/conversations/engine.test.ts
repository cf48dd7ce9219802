// The engine's own idle timer (production runs it; the other tests call sweep() by hand), on a real
// store and registry with an injected clock: the end is awaited as an event, not slept for.
import t from 'tap';
import { join } from 'node:path';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import { openStore } from '../../../src/store/index.js';
import { connectStore } from '../../../src/store/connect.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { ConversationEngine } from '../../../src/ingest/conversations/engine.js';
import { conversationMetrics } from '../../../src/ingest/conversations/metrics.js';

t.test('the idle timer ends a quiet conversation; transcripts carry the message times', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'e.db'), log: pino({ level: 'silent' }) });
  t.teardown(() => store.close());
  const bus = new PipelineBus();
  connectStore(store, bus);
  const calls = new CallRegistry(bus, 10);
  let now = 1_764_900_000_000;
  const metrics = createMetrics({ defaults: false });
  const engine = new ConversationEngine({ log: pino({ level: 'silent' }), bus, calls, repo: store.repos.conversations, flush: () => store.flush(), metrics: conversationMetrics(metrics.registry), idleMinutes: 1, now: () => now, sweepMs: 5 });
  t.teardown(() => engine.close());
  const seen: { role: string; startMs: number; endMs: number; seq: number }[] = [];
  bus.on('transcript', (x) => seen.push({ role: x.role, startMs: x.startMs, endMs: x.endMs, seq: x.seq }));
  const ended = new EventEmitter();
  bus.on('call.ended', (e) => ended.emit('ended', e));

  t.equal(engine.accept({ conversation: 'q', channel: 'email', at: now, role: 'customer', text: 'hello' }), 'accepted');
  t.equal(engine.accept({ conversation: 'q', channel: 'email', at: now + 2000, endAt: now + 2500, role: 'bot', text: 'auto reply' }), 'accepted');
  t.equal(engine.accept({ conversation: 'q', channel: 'email', at: now + 2000, endAt: now + 2500, role: 'bot', text: 'auto reply' }), 'duplicate', 'same content, no id: the hash');
  t.same(seen, [{ role: 'customer', startMs: 0, endMs: 0, seq: 1 }, { role: 'agent', startMs: 2000, endMs: 2500, seq: 1 }]);
  const callId = engine.callId('q');
  const start = now;
  const done = once(ended, 'ended');
  now += 2500 + 59_000;
  t.equal(engine.sweep(), 0, '59 s after the last message ends: not idle yet');
  now += 1000; // a minute of quiet: the timer's next sweep ends it
  // The engine's timer is unref'd (it must not keep a stopping process alive): hold the loop, bounded.
  const guard = setTimeout(() => ended.emit('ended', { callId: 'timeout', reason: 'timeout', endedAt: 0 }), 10_000);
  const [e] = (await done) as [{ callId: string; reason: string; endedAt: number }];
  clearTimeout(guard);
  t.equal(e.callId, callId);
  t.equal(e.reason, 'conversation-idle');
  t.equal(e.endedAt, start + 2500, 'ended at the end of its last message, not at the sweep');
  t.equal(engine.callId('q'), undefined);
  t.equal(engine.end({ conversation: 'q', end: true }), 'duplicate', 'ending it again changes nothing');
});
