import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { PipelineBus } from '../../src/call/events.js';
import type { Utterance } from '../../src/call/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { connectStore, openStore } from '../../src/store/index.js';
import { call, leg, metricValue, utterance } from './helpers/fixtures.js';
import { dbOf } from '../helpers/db.js';

const log = pino({ level: 'silent' });

t.test('call, legs, utterances, events, alarm and its transitions read back equal', async (t) => {
  const path = join(t.testdir(), 'rt.db');
  const store = openStore({ path, log, metrics: createMetrics({ defaults: false }) });
  const c = call(1, { agentId: 'agent-7', queue: 'billing', customerHash: 'h1' });
  const cust = leg(c.callId, 'customer', { codec: 'PCMU', participant: { name: 'Secret Name', aor: 'sip:1@x' } });
  const agent = leg(c.callId, 'agent', { codec: 'PCMA' });
  store.upsertCall(c);
  store.addLeg(cust);
  store.addLeg(agent);
  const utts: Utterance[] = [utterance(cust, 1), utterance(agent, 1, { text: '中文', lang: 'zh', categories: [] }), utterance(cust, 2)];
  const ids = utts.map((u) => store.addUtterance(u));
  t.same(ids, [1, 2, 3], 'ids assigned at enqueue, before any commit');
  const e1 = store.addCallEvent({ callId: c.callId, legId: cust.legId, kind: 'hold', tMs: 1500 });
  const e2 = store.addCallEvent({ callId: c.callId, kind: 'dtmf', tMs: 2500, data: { digits: '1234', count: 4 } });
  store.setLegStats(cust.legId, { packets: 1000, lost: 3, jitterMs: 4.5, mos: 4.2 });
  store.upsertCall({ ...c, agentId: undefined, queue: 'retention' }); // an update never erases what is known
  store.endCall(c.callId, 'ended', c.startedAt + 61_000, { qa: 0.8 });
  t.equal(store.pendingRows, 11);

  // The alarm refers to the call: insertAlarm commits the queue first so the reference holds.
  const alarm = store.insertAlarm({
    callId: c.callId, agentId: 'agent-7', rule: 'anger', severity: 'critical', state: 'open',
    message: 'customer angry for 30 s', raisedAt: c.startedAt + 30_000, evidence: [ids[0], ids[2]],
  });
  t.equal(store.pendingRows, 0);
  t.match(alarm, { id: Number, state: 'open', evidence: [1, 3], agentId: 'agent-7' });
  t.notOk('ackedBy' in alarm);
  t.ok(store.escalateAlarm(alarm.id, alarm.raisedAt + 600_000));
  t.notOk(store.escalateAlarm(alarm.id, alarm.raisedAt + 700_000), 'escalated once');
  t.notOk(store.escalateAlarm(9999, 1));
  const acked = store.transitionAlarm(alarm.id, 'acked', 'sup1', 'calling back');
  t.match(acked, { state: 'acked', ackedBy: 'sup1', ackComment: 'calling back', ackedAt: Number, escalatedAt: alarm.raisedAt + 600_000 });
  const resolved = store.transitionAlarm(alarm.id, 'resolved', 'sup2');
  t.match(resolved, { state: 'resolved', ackedBy: 'sup1', resolvedBy: 'sup2', resolvedAt: Number });
  t.notOk('resolveComment' in resolved);
  t.throws(() => store.transitionAlarm(alarm.id, 'acked', 'sup1'), { code: 'EARSHOT_ERR_ALARM_TRANSITION' });
  t.throws(() => store.transitionAlarm(alarm.id, 'open', 'sup1'), { code: 'EARSHOT_ERR_ALARM_TRANSITION', message: /is resolved/ });
  t.throws(() => store.transitionAlarm(9999, 'acked', 'sup1'), { code: 'EARSHOT_ERR_NOT_FOUND' });
  const direct = store.insertAlarm({ callId: c.callId, rule: 'silence', severity: 'info', state: 'open', message: 'm', raisedAt: 1 });
  t.match(store.transitionAlarm(direct.id, 'resolved', 'sup1', 'false alarm'), { state: 'resolved', resolveComment: 'false alarm' });
  t.throws(() => store.transitionAlarm(direct.id, 'resolved', 'sup1'), { code: 'EARSHOT_ERR_ALARM_TRANSITION' });
  store.audit('sup1', 'alarm.ack', String(alarm.id), 'calling back');
  store.close();

  const back = openStore({ path, log });
  t.teardown(() => back.close());
  t.same(back.getCall(c.callId), {
    ...c,
    queue: 'retention',
    state: 'ended',
    endedAt: c.startedAt + 61_000,
    durationMs: 61_000,
    summary: { qa: 0.8 },
    legs: [
      { legId: cust.legId, callId: c.callId, role: 'customer', label: '0', codec: 'PCMU', stats: { packets: 1000, lost: 3, jitterMs: 4.5, mos: 4.2 } },
      { legId: agent.legId, callId: c.callId, role: 'agent', label: '1', codec: 'PCMA' },
    ],
  });
  t.notMatch(JSON.stringify(dbOf(back).prepare('SELECT * FROM legs').all()), /Secret Name|sip:1@x/, 'participant PII not stored');
  const sorted = utts.map((u, i) => ({ ...u, id: ids[i] })).sort((a, b) => a.startMs - b.startMs || a.id - b.id);
  t.same(back.listUtterances(c.callId), sorted);
  t.same(back.listCallEvents(c.callId), [
    { id: e1, callId: c.callId, legId: cust.legId, kind: 'hold', tMs: 1500 },
    { id: e2, callId: c.callId, kind: 'dtmf', tMs: 2500, data: { count: 4 } },
  ]);
  t.same(back.getAlarm(alarm.id), resolved);
  t.same(back.listAlarms({ callId: c.callId }).map((a) => a.id).sort(), [alarm.id, direct.id].sort());
  t.same(back.listAlarms({ callId: c.callId, limit: 1 }).length, 1);
  t.same(back.listAlarms({ state: 'open' }), []);
  t.match(dbOf(back).prepare('SELECT actor, action, target FROM audit_log').all(), [{ actor: 'sup1', action: 'alarm.ack', target: String(alarm.id) }]);
  t.equal(back.getCall('nope'), undefined);
});

t.test('connectStore persists the bus lifecycle and hands utterance ids to later listeners', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'bus.db'), log });
  t.teardown(() => store.close());
  const bus = new PipelineBus();
  const off = connectStore(store, bus);
  const seenIds: (number | undefined)[] = [];
  bus.on('utterance', (u) => seenIds.push(u.id));
  const alarms: unknown[] = [];
  bus.on('alarm', (a) => alarms.push(a));
  const c = call(2);
  const l = leg(c.callId, 'mixed');
  bus.emit('call.started', c);
  bus.emit('leg.added', l);
  bus.emit('call.updated', { ...c, agentId: 'a-2' });
  bus.emit('utterance', utterance(l, 1));
  bus.emit('utterance', utterance(l, 2));
  bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 10, data: { id: 'billing' } });
  bus.emit('leg.stats', { callId: c.callId, legId: l.legId, stats: { mos: 3.9 } });
  bus.emit('alarm', { callId: c.callId, rule: 'r', severity: 'info', state: 'open', message: 'm', raisedAt: 1 });
  bus.emit('call.ended', { callId: c.callId, state: 'ended', endedAt: c.startedAt + 5000 });
  t.same(seenIds, [1, 2]);
  await new Promise((r) => setImmediate(r)); // one tick: the queue commits by itself
  t.equal(store.pendingRows, 0);
  t.match(store.getCall(c.callId), { agentId: 'a-2', state: 'ended', durationMs: 5000, legs: [{ stats: { mos: 3.9 } }] });
  t.equal(store.listUtterances(c.callId).length, 2);
  t.equal(store.listCallEvents(c.callId).length, 1);
  t.equal(store.listAlarms().length, 0, 'alarms are written by the alarm stage, not from the bus');
  off();
  bus.emit('call.started', call(3));
  store.flush();
  t.equal(store.getCall('call-3'), undefined, 'unsubscribed');
});

t.test('imports: start, progress, finish, retry after failure', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'imp.db'), log });
  t.teardown(() => store.close());
  const sha = 'a'.repeat(64);
  t.equal(store.findImport(sha), undefined);
  const c = call(4, { ingest: 'import', externalId: sha });
  store.upsertCall(c); // queued: startImport must commit it first for the reference
  t.match(store.startImport(sha, 'rec.wav', c.callId), { sha256: sha, state: 'running', progressMs: 0, callId: c.callId, fileName: 'rec.wav' });
  store.progressImport(sha, 12_000);
  t.match(store.finishImport(sha, { error: 'decoder failed' }), { state: 'failed', error: 'decoder failed', progressMs: 12_000, finishedAt: Number });
  t.match(store.startImport(sha, 'rec.wav'), { state: 'running', progressMs: 0 });
  t.notOk('error' in store.findImport(sha)!, 'a retry clears the old error');
  t.match(store.finishImport(sha, { callId: c.callId }), { state: 'done', callId: c.callId });
  t.throws(() => store.finishImport('b'.repeat(64), {}), { code: 'EARSHOT_ERR_NOT_FOUND' });

  // A partial import is discarded before it is redone: its call and rows go, other calls stay.
  const l = leg(c.callId, 'mixed');
  store.addLeg(l);
  store.addUtterance(utterance(l, 1)); // still queued: must be deleted, not written afterwards
  const other = call(5, { ingest: 'import', externalId: 'c'.repeat(64) });
  store.upsertCall(other);
  t.equal(store.discardImport(sha), 1);
  store.flush();
  t.equal(store.findImport(sha), undefined);
  t.equal(store.getCall(c.callId), undefined);
  t.equal(dbOf(store).prepare('SELECT count(*) FROM utterances').pluck().get(), 0, 'children cascade');
  t.ok(store.getCall(other.callId));
  t.equal(store.discardImport(sha), 0, 'idempotent');
});

t.test('after close: queued writes are refused and counted, sync writes throw', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(t.testdir(), 'closed.db'), log, metrics });
  store.close();
  store.close(); // idempotent
  t.equal(store.addUtterance(utterance(leg('c', 'agent'), 1)), 0);
  t.equal(await metricValue(metrics, 'earshot_store_dropped_rows_total', { reason: 'closed' }), 1);
  t.throws(() => store.audit('x', 'y'), { code: 'EARSHOT_ERR_STORE_CLOSED' });
});
