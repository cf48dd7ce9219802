import t from 'tap';
import { createAlarms, parseAlarmRules } from '../../src/alarms/index.js';
import type { Utterance } from '../../src/call/types.js';
import { createKpi } from '../../src/kpi/index.js';
import { startCall, testEnv, type TestEnv } from './helpers/env.js';
import { dbOf } from '../helpers/db.js';

// The kpi and alarm stages wired together on one bus, as main.ts does.

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const rules = parseAlarmRules(
  `version: 1
rules:
  - { id: swings, kind: agent-daily, metric: negative-swings, atLeast: 3 }
  - { id: neg, kind: negative-streak, count: 3 }
`,
  'wiring.yaml',
);

async function stages(env: TestEnv, clock: { now: number }) {
  const kpi = createKpi(env);
  const alarms = await createAlarms({ ...env, rules, clock: () => clock.now, tickMs: 0, deliveryMs: 0 });
  return {
    kpi,
    alarms,
    close: async () => {
      kpi.close();
      await alarms.close();
      env.store.close();
    },
  };
}

function swingCall(env: TestEnv, startedAt: number) {
  const c = startCall(env.bus, { agentId: 'agent-1', startedAt });
  [0.6, 0.5, 0.4, -0.5, -0.6, -0.7].forEach((s, i) => {
    const u: Utterance = { callId: c.callId, legId: c.customer, role: 'customer', seq: i, text: '[x]', lang: 'en', startMs: i * 3000, endMs: i * 3000 + 2000, sentiment: s, emotion: 'neutral', emotionConfidence: 1, categories: [], redactions: 0 };
    env.bus.emit('utterance', u);
  });
  env.bus.emit('call.ended', { callId: c.callId, state: 'ended', endedAt: startedAt + 60_000 });
  return c.callId;
}

t.test('alarms are counted in the call KPIs; an agent day survives a restart', async (t) => {
  const dir = t.testdir();
  const clock = { now: T0 };
  const env1 = testEnv(dir);
  const s1 = await stages(env1, clock);
  const raised: string[] = [];
  env1.bus.on('alarm', (a) => raised.push(a.rule));
  const first = swingCall(env1, T0);
  t.same(raised, ['neg'], 'three negative customer utterances');
  const summary = JSON.parse((dbOf(env1.store).prepare('SELECT summary FROM calls WHERE id = ?').get(first) as { summary: string }).summary);
  t.equal(summary.kpi.alarms, 1);
  t.equal(summary.kpi.sentiment.negativeSwing, true);
  swingCall(env1, T0 + 120_000);
  await s1.close();

  const env2 = testEnv(dir);
  const s2 = await stages(env2, clock);
  t.teardown(s2.close);
  const after: string[] = [];
  env2.bus.on('alarm', (a) => after.push(a.rule));
  const third = swingCall(env2, T0 + 240_000);
  t.same(after, ['neg', 'swings'], 'the third swing of the day fires although two happened before the restart');
  t.match(dbOf(env2.store).prepare("SELECT call_id, agent_id FROM alarms WHERE rule = 'swings'").all(), [{ call_id: third, agent_id: 'agent-1' }]);
});
