import t from 'tap';
import { createAlarms, loadAlarmRules } from '../../src/alarms/index.js';
import { createAnalysis } from '../../src/analysis/index.js';
import type { Alarm, Role } from '../../src/call/types.js';
import { startCall, testEnv } from './helpers/env.js';

// The shipped alarm rules against the shipped analysis rules (config/rules): the category ids the
// analysis stage emits are the ones config/alarms/default.yaml names.

t.test('transcripts through the real analysis stage raise the default alarms', async (t) => {
  const env = testEnv(t.testdir());
  const analysis = await createAnalysis(env);
  const alarms = await createAlarms({ ...env, rules: loadAlarmRules(new URL('../../config/alarms/default.yaml', import.meta.url).pathname), tickMs: 0, deliveryMs: 0 });
  t.teardown(async () => {
    analysis.close();
    await alarms.close();
  });
  const raised: Alarm[] = [];
  env.bus.on('alarm', (a) => raised.push(a));
  const c = startCall(env.bus, { agentId: 'a1' });
  let seq = 0;
  const say = (role: 'agent' | 'customer', text: string, startMs: number) => {
    const legId = role === 'agent' ? c.agent : c.customer;
    env.bus.emit('transcript', { callId: c.callId, legId, role: role as Role, seq: ++seq, text, startMs, endMs: startMs + 2500, final: true });
  };
  say('agent', 'good morning thank you for calling how can I help you', 1000);
  say('customer', 'I was thinking about moving to contoso', 5000);
  say('customer', 'contoso offered me a better price', 9000);
  say('customer', 'I want to speak to your supervisor right now', 13000);
  say('customer', 'this is stupid you are an idiot', 17000);
  say('agent', 'I understand let me check your account', 40000);
  await analysis.idle();
  env.bus.emit('call.ended', { callId: c.callId, state: 'ended', endedAt: Date.now() });
  await analysis.idle();
  const rules = new Set(raised.map((a) => a.rule));
  t.ok(rules.has('competitor-mentioned'), 'two competitor mentions');
  t.ok(rules.has('escalation-request'));
  t.ok(rules.has('abusive-language'));
  t.ok(rules.has('compliance-missed'), 'no recording disclosure in the first 30 s');
  t.comment(`raised: ${[...rules].join(', ')}`);
});
