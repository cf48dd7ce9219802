import t from 'tap';
import { PipelineBus } from '../../src/call/events.js';
import { CallRegistry } from '../../src/call/registry.js';

t.test('open, add legs, close emits events in order and enforces the limit', async (t) => {
  const bus = new PipelineBus();
  const seen: string[] = [];
  bus.on('call.started', () => seen.push('started'));
  bus.on('leg.added', (l) => seen.push(`leg:${l.role}`));
  bus.on('leg.ended', (l) => seen.push(`legend:${l.role}`));
  bus.on('call.ended', (e) => seen.push(`ended:${e.state}`));
  const reg = new CallRegistry(bus, 1);
  const call = reg.open({ ingest: 'import', externalId: 'abc' });
  reg.addLeg(call.info.callId, { role: 'customer', label: '0' });
  reg.addLeg(call.info.callId, { role: 'agent', label: '1' });
  t.throws(() => reg.open({ ingest: 'import', externalId: 'def' }), { code: 'EARSHOT_ERR_CALL_LIMIT' });
  t.equal(reg.byExternal('import', 'abc')?.info.callId, call.info.callId);
  reg.close(call.info.callId);
  reg.close(call.info.callId); // idempotent
  t.same(seen, ['started', 'leg:customer', 'leg:agent', 'legend:customer', 'legend:agent', 'ended:ended']);
  t.equal(reg.size, 0);
});

t.test('a throwing listener does not stop the others', async (t) => {
  const bus = new PipelineBus();
  const errors: unknown[] = [];
  bus.onListenerError = (_e, err) => errors.push(err);
  let reached = false;
  bus.on('call.event', () => {
    throw new Error('boom');
  });
  bus.on('call.event', () => {
    reached = true;
  });
  bus.emit('call.event', { callId: 'x', kind: 'dtmf', tMs: 0 });
  t.ok(reached);
  t.equal(errors.length, 1);
});

t.test('call.ended waits for the drain (last utterances first), bounded by a timeout', async (t) => {
  const bus = new PipelineBus();
  const order: string[] = [];
  let release!: () => void;
  const reg = new CallRegistry(bus, 5, {
    drain: () => new Promise<void>((r) => (release = r)),
    drainTimeoutMs: 200,
    onDrainError: () => order.push('drain-timeout'),
  });
  bus.on('leg.ended', () => order.push('leg.ended'));
  bus.on('call.ended', () => order.push('call.ended'));
  const a = reg.open({ ingest: 'siprec', externalId: 'a' });
  reg.addLeg(a.info.callId, { role: 'customer', label: '1' });
  reg.close(a.info.callId);
  t.equal(reg.size, 0, 'the slot is free at once');
  t.same(order, ['leg.ended'], 'call.ended not yet: the recogniser is still draining');
  order.push('last utterance');
  release();
  await reg.idle();
  t.same(order, ['leg.ended', 'last utterance', 'call.ended']);

  order.length = 0;
  const b = reg.open({ ingest: 'siprec', externalId: 'b' });
  reg.close(b.info.callId); // drain never resolves
  await reg.idle();
  t.same(order, ['drain-timeout', 'call.ended'], 'a stuck drain still ends the call');
});

t.test('with an identity: the caller id is hashed at open, the legs name agent, queue and customer', async (t) => {
  const { CallIdentity } = await import('../../src/call/identity.js');
  const bus = new PipelineBus();
  const events: unknown[] = [];
  bus.on('call.started', (c) => events.push({ ...c }));
  bus.on('call.updated', (c) => events.push({ ...c }));
  const identity = new CallIdentity('site-secret-salt-0123456789', [{ agent: '^20', queue: 'billing' }]);
  const reg = new CallRegistry(bus, 10, { identity });
  const fork = reg.open({ ingest: 'audio-fork', externalId: 'f1', callerId: '+1 (555) 000-1111', agentId: '2042' });
  t.equal(fork.info.customerHash, identity.customerHash('5550001111'));
  t.equal(fork.info.queue, 'billing', 'queue from the map when the source names none');
  const sip = reg.open({ ingest: 'siprec', externalId: 's1' });
  reg.addLeg(sip.info.callId, { role: 'customer', label: '1', participant: { aor: 'sip:+15550001111@carrier.example', name: 'Jane Caller' } });
  reg.addLeg(sip.info.callId, { role: 'agent', label: '2', participant: { aor: 'sip:2001@pbx.example' } });
  t.match(sip.info, { agentId: '2001', queue: 'billing', customerHash: fork.info.customerHash }, 'the same caller over SIPREC and a fork');
  t.notOk(JSON.stringify(events).includes('5550001111'), 'the number is in no event');
  t.notOk(JSON.stringify(events).includes('Jane'), 'nor the name');
  t.equal(events.length, 4, 'two starts, one update per leg that taught something');
});
