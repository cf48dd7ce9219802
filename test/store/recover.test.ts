import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { createMetrics } from '../../src/metrics/registry.js';
import { openStore } from '../../src/store/index.js';
import { call, leg, metricValue, utterance } from './helpers/fixtures.js';

const log = pino({ level: 'silent' });

t.test('calls left active are marked interrupted at open, ended at their last known activity', async (t) => {
  const path = join(t.testdir(), 'r.db');
  const first = openStore({ path, log });
  const talk = call(1);
  const silent = call(2);
  const done = call(3);
  const l = leg(talk.callId, 'customer');
  [talk, silent, done].forEach((c) => first.upsertCall(c));
  first.addLeg(l);
  first.addUtterance(utterance(l, 5)); // ends at 5800 ms
  first.addCallEvent({ callId: talk.callId, kind: 'hold', tMs: 9000 });
  first.addUtterance(utterance(l, 7)); // ends at 7800 ms
  first.endCall(done.callId, 'ended', done.startedAt + 3000);
  first.close(); // like a crash for these calls: nothing ended them

  const metrics = createMetrics({ defaults: false });
  const second = openStore({ path, log, metrics });
  t.teardown(() => second.close());
  t.match(second.getCall(talk.callId), { state: 'interrupted', endedAt: talk.startedAt + 9000, durationMs: 9000 });
  t.match(second.getCall(silent.callId), { state: 'interrupted', endedAt: silent.startedAt, durationMs: 0 });
  t.match(second.getCall(done.callId), { state: 'ended', endedAt: done.startedAt + 3000, durationMs: 3000 });
  t.equal(await metricValue(metrics, 'earshot_store_interrupted_calls_total'), 2);
});

t.test("a second opener (CLI beside serve) never marks the owner's live calls", async (t) => {
  const path = join(t.testdir(), 'own.db');
  const serve = openStore({ path, log });
  serve.upsertCall(call(1));
  serve.flush();
  const cli = openStore({ path, log });
  t.equal(cli.getCall('call-1')?.state, 'active', 'the live call is left alone');
  cli.close();
  t.equal(serve.getCall('call-1')?.state, 'active');
  serve.close();

  const noRecover = openStore({ path, log, recover: false });
  t.equal(noRecover.getCall('call-1')?.state, 'active', 'recover: false leaves calls as they are');
  noRecover.close();
  const next = openStore({ path, log });
  t.equal(next.getCall('call-1')?.state, 'interrupted', 'once the owner is gone the next opener recovers');
  next.close();
});
