import t from 'tap';
import { linearToUlaw, ULAW } from '../../../src/ingest/import/g711.js';
import { connect, ramp, startApp, until } from './rig.js';

// Asterisk chan_websocket (ARI externalMedia, WebSocket transport) driven by a real ws client
// sending what Asterisk sends: MEDIA_START as text, then raw µ-law frames of 160 bytes.

t.test('MEDIA_START then ulaw frames → one mixed leg with the decoded audio', async (t) => {
  const r = await startApp(t);
  const c = await connect(`${r.url}/ingest/ari`, 'media');
  c.ws.send('MEDIA_START connection_id:abc123 channel:PJSIP/1000-00000001 channel_id:1700000000.1 format:ulaw optimal_frame_size:160 ptime:20');
  const src = ramp(480, (i) => Math.round(9000 * Math.sin(i / 4)));
  const bytes = Buffer.from(src.map(linearToUlaw));
  for (let i = 0; i < 3; i++) c.ws.send(bytes.subarray(i * 160, (i + 1) * 160));
  c.ws.send('MEDIA_XOFF');
  c.ws.close(1000);
  await until(() => r.ended.length === 1, 'call end');
  t.same(r.legs.map((l) => [l.role, l.codec]), [['mixed', 'pcmu']]);
  t.same([...r.samplesOf('mixed')], src.map((s) => ULAW[linearToUlaw(s)]));
  t.equal(r.ended[0].state, 'ended');
});

t.test('two snoop channels grouped by ?call= form one call with customer and agent legs', async (t) => {
  const r = await startApp(t);
  const a = await connect(`${r.url}/ingest/ari?call=k1&role=customer`);
  const b = await connect(`${r.url}/ingest/ari?call=k1&role=agent`);
  a.ws.send(JSON.stringify({ event: 'MEDIA_START', connection_id: 'c1', format: 'slin16', optimal_frame_size: 640 }));
  b.ws.send(JSON.stringify({ event: 'MEDIA_START', connection_id: 'c2', format: 'slin16', optimal_frame_size: 640 }));
  const pcm = (v: number) => Buffer.from(Int16Array.from(ramp(320, () => v)).buffer);
  // A connection takes no call slot before it sends audio: MEDIA_START alone opens nothing.
  await new Promise((res) => a.ws.ping(undefined, undefined, () => res(undefined)));
  t.equal(r.started.length, 0, 'no call before audio');
  a.ws.send(pcm(111));
  b.ws.send(pcm(-222));
  await until(() => r.legs.length === 2, 'two legs');
  await until(() => r.samplesOf('customer').length === 320 && r.samplesOf('agent').length === 320, 'audio on both legs');
  t.equal(r.started.length, 1, 'one call');
  t.equal(r.legs[0].callId, r.legs[1].callId);
  t.ok(r.samplesOf('customer').every((s) => s === 111));
  t.ok(r.samplesOf('agent').every((s) => s === -222));
  a.ws.close(1000);
  await a.closed;
  t.equal(r.ended.length, 0, 'the call lives while one leg is connected');
  b.ws.terminate();
  await until(() => r.ended.length === 1, 'call end');
});

t.test('audio before MEDIA_START, bad format, oversize frame: closed with a protocol error', async (t) => {
  const r = await startApp(t, { maxFrameBytes: 640 });
  const early = await connect(`${r.url}/ingest/ari`);
  early.ws.send(Buffer.alloc(160));
  t.equal((await early.closed).code, 1002);
  const fmt = await connect(`${r.url}/ingest/ari`);
  fmt.ws.send('MEDIA_START connection_id:x format:g729');
  t.equal((await fmt.closed).code, 1003);
  const big = await connect(`${r.url}/ingest/ari`);
  big.ws.send('MEDIA_START connection_id:y format:ulaw');
  big.ws.send(Buffer.alloc(1000));
  t.equal((await big.closed).code, 1009);
  t.equal(r.started.length, 0, 'no call opened: none of them got audio in');
  t.equal(await r.bad('ari', 'no-media-start'), 1);
  t.equal(await r.bad('ari', 'bad-format'), 1);
  t.equal(await r.bad('ari', 'frame-too-big'), 1);
  const ok = await connect(`${r.url}/ingest/ari`);
  ok.ws.send('MEDIA_START connection_id:z format:alaw');
  ok.ws.send(Buffer.alloc(160, 0xd5));
  await until(() => r.legs.length === 1 && r.samplesOf('mixed', r.legs[0].callId).length === 160, 'next client served');
  ok.ws.close(1000);
  await ok.closed;
});
