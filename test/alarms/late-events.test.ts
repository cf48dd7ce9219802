// Alarms for events that reach the alarm stage out of the usual order (a cluster's core reading a
// durable stream, async analysis behind the bus): category hits after call.ended, and a call that
// started before this process did. Real SQLite store and bus (helpers/env.ts).
import t from 'tap';
import { createAlarms, parseAlarmRules } from '../../src/alarms/index.js';
import type { CallEvent } from '../../src/call/types.js';
import { startCall, testEnv } from './helpers/env.js';
import { dbOf } from '../helpers/db.js';

const rules = parseAlarmRules('version: 1\nrules:\n  - { id: esc, kind: category, category: escalation-request }\n', 'late.yaml');
const hit = (callId: string, legId: string): CallEvent => ({ callId, legId, kind: 'category', tMs: 4000, data: { rule: 'escalation-request', severity: 'warning', utteranceSeq: 0 } });

t.test('a category hit that arrives after call.ended raises its alarm, once', async (t) => {
  const env = testEnv(t.testdir());
  const alarms = await createAlarms({ ...env, rules, tickMs: 0, deliveryMs: 0 });
  t.teardown(async () => {
    await alarms.close();
    env.store.close();
  });
  const c = startCall(env.bus, { ingest: 'siprec' });
  env.bus.emit('call.ended', { callId: c.callId, state: 'ended', endedAt: Date.now() });
  env.bus.emit('call.event', hit(c.callId, c.customer));
  env.bus.emit('call.event', hit(c.callId, c.customer));
  env.store.flush();
  t.same(env.store.listAlarms({ callId: c.callId }).map((a) => a.rule), ['esc'], 'raised for the ended call, and the cooldown still holds');
  // A call that never started here raises nothing (no state, nothing in the store).
  env.bus.emit('call.event', hit('call-unknown', 'leg-x'));
  env.store.flush();
  t.equal(env.store.listAlarms({}).length, 1);
});

t.test('a call started before a restart is picked up from the store at its next event', async (t) => {
  const dir = t.testdir();
  const env1 = testEnv(dir);
  const c = startCall(env1.bus, { ingest: 'siprec', agentId: 'a-7' });
  env1.store.flush();
  env1.store.close(); // gone while the call goes on elsewhere (a core of a cluster)

  const env = testEnv(dir);
  const alarms = await createAlarms({ ...env, rules, tickMs: 0, deliveryMs: 0 });
  t.teardown(async () => {
    await alarms.close();
    env.store.close();
  });
  // A single box's store marks such a call interrupted at open; a cluster core keeps it active
  // (store option callsElsewhere). The test's env opens it the single-box way: set it back.
  dbOf(env.store).prepare("UPDATE calls SET state = 'active' WHERE id = ?").run(c.callId);
  env.bus.emit('call.event', hit(c.callId, c.customer));
  env.store.flush();
  const raised = env.store.listAlarms({ callId: c.callId });
  t.same(raised.map((a) => [a.rule, a.agentId]), [['esc', 'a-7']], 'raised, with the agent from the stored call');
});
