import t from 'tap';
import { connect } from 'nats';
import pino from 'pino';
import { PipelineBus } from '../../src/call/events.js';
import { decodeAudio, encodeAudio, inProcessBus, natsBus, type BusAdapter, type ClusterEvent } from '../../src/cluster/bus.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { natsServerMissing, startNats } from './nats-helper.js';

const log = pino({ level: 'silent' });
const missing = natsServerMissing();

t.test('audio frames round-trip as binary', async (t) => {
  const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
  for (const legId of ['leg-1', 'legé']) {
    const c = decodeAudio(encodeAudio({ legId, samples, sampleRate: 8000, tMs: 1234.5 }));
    t.same(c && { ...c, samples: [...c.samples] }, { legId, samples: [...samples], sampleRate: 8000, tMs: 1234.5 });
  }
  t.equal(decodeAudio(new Uint8Array(5)), undefined, 'a short frame is refused');
  const odd = encodeAudio({ legId: 'a', samples, sampleRate: 8000, tMs: 0 });
  t.equal(decodeAudio(odd.subarray(0, odd.length - 1)), undefined, 'a torn frame is refused');
});

t.test('in-process adapter is the pipeline bus itself', async (t) => {
  const bus = new PipelineBus();
  const a = inProcessBus(bus);
  const got: string[] = [];
  const off = await a.subscribe('core', (e, p) => got.push(`${e}:${(p as { callId: string }).callId}`));
  a.publish('call.ended', { callId: 'c1', state: 'ended', endedAt: 1 });
  await off();
  a.publish('call.ended', { callId: 'c2', state: 'ended', endedAt: 1 });
  t.same(got, ['call.ended:c1']);
});

t.test('NATS JetStream: events round-trip in order; a durable consumer resumes after a restart with nothing lost', { skip: missing }, async (t) => {
  const srv = await startNats();
  t.teardown(() => srv.stop());
  const ncA = await connect({ servers: srv.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  t.teardown(() => ncA.close());
  const metrics = createMetrics({ defaults: false });
  const ingest = await natsBus(ncA, { site: 'site-1', node: 'ingest-a', log, metrics });

  const openCore = async () => {
    const nc = await connect({ servers: srv.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const bus = await natsBus(nc, { site: 'site-1', node: 'core-a', log, metrics });
    return { nc, bus };
  };
  const seen: number[] = [];
  const waitFor = (n: number) => new Promise<void>((resolve) => {
    const timer = setInterval(() => seen.length >= n && (clearInterval(timer), resolve()), 10);
  });
  const listen = (bus: BusAdapter) => bus.subscribe('core', (e: ClusterEvent, p) => {
    if (e === 'call.event') seen.push((p as { tMs: number }).tMs);
  });

  let core = await openCore();
  let off = await listen(core.bus);
  for (let i = 0; i < 50; i++) ingest.publish('call.event', { callId: 'c1', kind: 'test', tMs: i });
  await waitFor(50);
  t.same(seen, [...Array(50).keys()], 'in order');

  // Core goes away; events published meanwhile are kept by the stream for its durable consumer.
  await off();
  await core.nc.close();
  for (let i = 50; i < 120; i++) ingest.publish('call.event', { callId: 'c1', kind: 'test', tMs: i });
  await ingest.flush();
  core = await openCore();
  off = await listen(core.bus);
  await waitFor(120);
  t.same(seen, [...Array(120).keys()], 'a restarted core got every event published while it was down, once, in order');

  // nats-server restarts (SIGKILL): publishers and the consumer recover by themselves.
  await srv.restart();
  for (let i = 120; i < 150; i++) ingest.publish('call.event', { callId: 'c1', kind: 'test', tMs: i });
  await ingest.flush();
  await waitFor(150);
  t.same(seen.slice(120), [...Array(30).keys()].map((i) => i + 120), 'recovered after a nats-server restart');

  // Own events are not delivered back to the publisher's node; others' are.
  const own: string[] = [];
  const offOwn = await ingest.subscribe('ingest-self', (e) => void own.push(e));
  core.bus.publish('leg.stats', { callId: 'c1', legId: 'l1', stats: {} });
  await core.bus.flush();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => own.length && (clearInterval(timer), resolve()), 10);
  });
  t.same(own, ['leg.stats'], "the 150 own events skipped, core's one delivered");
  await offOwn();
  await off();
  await core.bus.close();
  await core.nc.close();
  await ingest.close();
});

t.test('NATS: audio on per-leg subjects reaches only that leg', { skip: missing }, async (t) => {
  const srv = await startNats();
  t.teardown(() => srv.stop());
  const nc = await connect({ servers: srv.url });
  t.teardown(() => nc.close());
  const bus = await natsBus(nc, { site: 'site-1', node: 'n', log, metrics: createMetrics({ defaults: false }) });
  const got: number[] = [];
  const off = bus.subscribeAudio('leg-a', (c) => got.push(c.tMs));
  await nc.flush();
  bus.publishAudio({ legId: 'leg-b', samples: new Int16Array(160), sampleRate: 8000, tMs: 1 });
  for (let i = 0; i < 5; i++) bus.publishAudio({ legId: 'leg-a', samples: new Int16Array(160), sampleRate: 8000, tMs: i * 20 });
  await nc.flush();
  await new Promise((r) => setTimeout(r, 50)); // delivery to the local subscription after the server's pong
  t.same(got, [0, 20, 40, 60, 80]);
  off();
});
