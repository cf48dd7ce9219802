// The demo's scripted chats on a real store, registry and conversation engine: several channels,
// agents and queues, lines paced by timers (a short pace here), each chat ended, the next begun; stop
// ends the loop. Awaited as bus events, not slept for.
import { join } from 'node:path';
import { once, EventEmitter } from 'node:events';
import { pino } from 'pino';
import t from 'tap';
import { PipelineBus } from '../../../src/call/events.js';
import { CallIdentity } from '../../../src/call/identity.js';
import { CallRegistry } from '../../../src/call/registry.js';
import type { CallInfo } from '../../../src/call/types.js';
import { startDemoChats } from '../../../src/ingest/conversations/demo.js';
import { ConversationEngine } from '../../../src/ingest/conversations/engine.js';
import { conversationMetrics } from '../../../src/ingest/conversations/metrics.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { connectStore } from '../../../src/store/connect.js';
import { openStore } from '../../../src/store/index.js';
import { dbOf } from '../../helpers/db.js';

t.test('demo chats: channels, agents and queues; each chat ends and the next starts; stop stops', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'c.db'), log: pino({ level: 'silent' }) });
  t.teardown(() => store.close());
  const bus = new PipelineBus();
  connectStore(store, bus);
  const calls = new CallRegistry(bus, 10, { identity: new CallIdentity('a-salt-of-sixteen-chars') });
  const metrics = createMetrics({ defaults: false });
  const engine = new ConversationEngine({ log: pino({ level: 'silent' }), bus, calls, repo: store.repos.conversations, flush: () => store.flush(), metrics: conversationMetrics(metrics.registry), idleMinutes: 30 });
  t.teardown(() => engine.close());
  const started: CallInfo[] = [];
  const texts: string[] = [];
  const ev = new EventEmitter();
  bus.on('call.started', (c) => started.push(c));
  bus.on('transcript', (x) => texts.push(x.text));
  let ended = 0;
  bus.on('call.ended', () => {
    ended++;
    ev.emit('ended');
  });
  const chats = startDemoChats(engine, pino({ level: 'silent' }), { lanes: 2, lineMs: 5 });
  // The demo's timers do not hold the process open (unref): this test's wait does.
  const hold = setInterval(() => {}, 1000);
  while (ended < 4) await once(ev, 'ended');
  clearInterval(hold);
  chats.stop();
  const stopped = started.length;
  t.ok(started.length >= 4, `${started.length} chats`);
  store.flush();
  const rows = dbOf(store).prepare("SELECT external_id AS externalId, agent_id AS agentId, queue, customer_hash AS customerHash, channel FROM calls WHERE ingest = 'conversation'").all() as { externalId: string; agentId: string; queue: string; customerHash: string; channel: string }[];
  t.equal(rows.length, started.length, 'stored as conversations');
  t.ok(rows.every((c) => c.externalId.startsWith('demo-chat-') && c.agentId && c.queue && c.customerHash), 'demo ids (the purge takes them), agents, queues, hashed customers');
  t.ok(new Set(rows.map((c) => c.channel)).size >= 2, `several channels: ${[...new Set(rows.map((c) => c.channel))].join(', ')}`);
  t.ok(new Set(rows.map((c) => c.agentId)).size >= 2, 'several agents');
  t.ok(texts.some((x) => /\p{Script=Han}/u.test(x)) && texts.some((x) => /frustration/u.test(x)), 'English and Chinese lines');
  t.notOk(rows.some((c) => /demo-chat-customer/u.test(c.customerHash)), 'the customer id is hashed, not stored as given');
  // After stop no new chat opens (the timers are cleared).
  await new Promise((r) => setImmediate(r));
  t.equal(started.length, stopped);
});
