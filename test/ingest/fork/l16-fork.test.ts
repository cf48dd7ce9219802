import t from 'tap';
import { connect, interleave, ramp, startApp, until } from './rig.js';

// mod_audio_fork and jambonz driven by a real `ws` client over loopback, written from their specs.

const KEY = 'k'.repeat(24);

t.test('jambonz stereo: interleaved samples reach the customer and agent legs', async (t) => {
  const r = await startApp(t);
  const c = await connect(`${r.url}/ingest/jambonz`, 'audio.jambonz.org');
  c.ws.send(JSON.stringify({ callSid: 'cs-1', sampleRate: 8000, mixType: 'stereo', from: '+15551234567' }));
  const cust = ramp(500, (i) => i * 3);
  const agent = ramp(500, (i) => -i * 3 - 1);
  const bytes = interleave(cust, agent);
  // Cut messages off sample boundaries on purpose (7 and 1001 bytes): senders may.
  for (const [a, b] of [[0, 7], [7, 1001], [1001, bytes.length]]) c.ws.send(bytes.subarray(a, b));
  c.ws.close(1000);
  await until(() => r.ended.length === 1, 'call end');
  t.same(r.legs.map((l) => [l.role, l.label, l.codec]), [['customer', '0', 'l16'], ['agent', '1', 'l16']]);
  t.same([...r.samplesOf('customer')], cust);
  t.same([...r.samplesOf('agent')], agent);
  const chunks = r.audio.get(r.legs[0].legId)!;
  t.same(chunks.slice(0, 2).map((ch) => [ch.tMs, ch.samples.length, ch.sampleRate]), [[0, 160, 8000], [20, 160, 8000]]);
  t.equal(r.ended[0].state, 'ended');
  t.equal(r.infos[0].customerHash, r.identity.customerHash('5551234567'), 'the caller (`from`) arrives only as its hash');
  const metric = async (name: string) => (await r.metrics.registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.protocol === 'jambonz')?.value;
  t.equal(await metric('earshot_fork_audio_seconds_total'), 500 / 8000);
  t.equal(await metric('earshot_fork_connections'), 0, 'the connection gauge is back to zero');
});

t.test('mod_audio_fork without metadata uses the query; abrupt disconnect closes the call', async (t) => {
  const r = await startApp(t);
  const c = await connect(`${r.url}/ingest/audio-fork?sampleRate=16000&mix=mono`, 'audio.drachtio.org');
  c.ws.send(interleave(ramp(640, (i) => i)));
  await until(() => (r.audio.get(r.legs[0]?.legId ?? '')?.length ?? 0) === 2, 'two frames');
  c.ws.terminate(); // TCP reset, no close frame
  await until(() => r.ended.length === 1, 'call end');
  t.equal(r.legs.length, 1);
  t.equal(r.legs[0].role, 'customer', 'mono is the caller');
  t.equal(r.audio.get(r.legs[0].legId)![1].sampleRate, 16000);
  t.equal(r.ended[0].state, 'interrupted');
  t.equal(r.calls.size, 0);
  // One child logger per call: the lines from the call's opening on carry its callId.
  const from = r.logs.findIndex((l) => l.msg === 'fork call opened');
  t.ok(from >= 0, 'the call opening is logged');
  t.ok(r.logs.slice(from).every((l) => l.callId === r.started[0]), 'every later line is bound to the callId');
});

t.test('API keys: missing or wrong key is refused with 401 before the upgrade', async (t) => {
  const r = await startApp(t, { apiKeys: [{ name: 'fs1', key: KEY }] });
  await t.rejects(connect(`${r.url}/ingest/audio-fork`, 'audio.drachtio.org', {}), { message: 'HTTP 401' });
  await t.rejects(connect(`${r.url}/ingest/jambonz`, 'audio.jambonz.org', { 'x-api-key': 'x'.repeat(24) }), { message: 'HTTP 401' });
  t.equal(await r.bad('ws-fork', 'missing-key'), 1);
  t.equal(await r.bad('ws-fork', 'bad-key'), 1);
  t.equal(r.started.length, 0);
  const basic = `Basic ${Buffer.from(`fs1:${KEY}`).toString('base64')}`;
  const c = await connect(`${r.url}/ingest/audio-fork`, 'audio.drachtio.org', { authorization: basic });
  c.ws.send(JSON.stringify({ sampleRate: 8000 }));
  c.ws.send(Buffer.alloc(320));
  await until(() => r.started.length === 1, 'call start');
  t.equal(r.infos[0].source, 'fs1', "the key's name is the call's source");
  c.ws.close();
  await c.closed;
});

t.test('oversized and malformed frames are protocol errors; the next client is served', async (t) => {
  const r = await startApp(t, { maxFrameBytes: 1024 });
  const big = await connect(`${r.url}/ingest/jambonz`, 'audio.jambonz.org');
  big.ws.send(JSON.stringify({ sampleRate: 8000 }));
  big.ws.send(Buffer.alloc(2048));
  t.equal((await big.closed).code, 1009);
  t.equal(r.started.length, 0, 'no call: the only audio frame was refused');
  t.equal(await r.bad('ws-fork', 'frame-too-big'), 1);

  const junk = await connect(`${r.url}/ingest/jambonz`, 'audio.jambonz.org');
  junk.ws.send('{not json');
  t.equal((await junk.closed).code, 1003);
  const badRate = await connect(`${r.url}/ingest/jambonz`, 'audio.jambonz.org');
  badRate.ws.send(JSON.stringify({ sampleRate: 123 }));
  t.equal((await badRate.closed).code, 1003);
  const wrongProto = await connect(`${r.url}/ingest/jambonz`, 'audio.drachtio.org');
  t.equal((await wrongProto.closed).code, 1002);
  t.equal(await r.bad('ws-fork', 'bad-json'), 1);
  t.equal(await r.bad('ws-fork', 'bad-sample-rate'), 1);
  t.equal(await r.bad('ws-fork', 'subprotocol'), 1);
  // Every refused connection has left the gauge, the wrong subprotocol's included.
  const gauge = async () => (await r.metrics.registry.getSingleMetric('earshot_fork_connections')!.get()).values.reduce((n, v) => n + v.value, 0);
  // The server sees each close a moment after the client does: poll (bounded).
  for (let i = 0; i < 200 && (await gauge()) !== 0; i++) await new Promise((res) => setTimeout(res, 10));
  t.equal(await gauge(), 0, 'earshot_fork_connections back to 0 after the refused connections closed');

  const ok = await connect(`${r.url}/ingest/jambonz`, 'audio.jambonz.org');
  ok.ws.send(JSON.stringify({ sampleRate: 8000, mixType: 'mixed' }));
  ok.ws.send(interleave(ramp(160, () => 5)));
  await until(() => r.legs.some((l) => l.role === 'mixed' && (r.audio.get(l.legId)?.length ?? 0) === 1), 'audio on the next call');
  ok.ws.close(1000);
  await ok.closed;
});

t.test('a sender far faster than real time is cut off', async (t) => {
  const r = await startApp(t);
  const c = await connect(`${r.url}/ingest/jambonz`, 'audio.jambonz.org');
  c.ws.send(JSON.stringify({ sampleRate: 8000 }));
  // 8 kHz mono allows 4x real time with 5 s of burst: 320 kB. Send a minute of audio at once.
  const chunk = Buffer.alloc(16000);
  for (let i = 0; i < 60; i++) c.ws.send(chunk);
  t.equal((await c.closed).code, 1008);
  t.equal(await r.bad('ws-fork', 'rate'), 1);
});
