import { createHmac, randomUUID } from 'node:crypto';
import t from 'tap';
import { linearToUlaw, ULAW } from '../../../src/ingest/import/g711.js';
import { type Client, connect, ramp, startApp, until } from './rig.js';

// Genesys AudioHook v2 driven by a real ws client written from the protocol spec.

const KEY = 'a'.repeat(32);
const MEDIA = [{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }];

function session(c: Client, id = randomUUID()) {
  let seq = 0;
  const send = (type: string, parameters: Record<string, unknown> = {}, override: Record<string, unknown> = {}) =>
    c.ws.send(JSON.stringify({ version: '2', id, type, seq: ++seq, serverseq: 0, position: 'PT0S', parameters, ...override }));
  const reply = async (type: string) => {
    await until(() => c.texts.some((m) => JSON.parse(m).type === type), `server ${type}`);
    return JSON.parse(c.texts.find((m) => JSON.parse(m).type === type)!);
  };
  return { id, send, reply };
}

/** Stereo PCMU frame: external and internal samples interleaved, µ-law encoded. */
const pcmuStereo = (ext: number[], int: number[]) => Buffer.from(ext.flatMap((e, i) => [linearToUlaw(e), linearToUlaw(int[i])]));
const viaUlaw = (xs: number[]) => xs.map((x) => ULAW[linearToUlaw(x)]);

t.test('open/opened, stereo audio per role, ping/pong, pause/resume keeps time, close/closed', async (t) => {
  const r = await startApp(t, { apiKeys: [{ name: 'genesys', key: KEY }] });
  const c = await connect(`${r.url}/ingest/audiohook`, '', { 'x-api-key': KEY, 'audiohook-organization-id': randomUUID() });
  const s = session(c);
  s.send('open', { organizationId: randomUUID(), conversationId: randomUUID(), participant: { id: randomUUID(), ani: '+15550001111', aniName: 'x', dnis: '+15550002222' }, media: [{ type: 'audio', format: 'L16', channels: ['external'], rate: 16000 }, ...MEDIA] });
  const opened = await s.reply('opened');
  t.same(opened.parameters.media, MEDIA, 'server chose PCMU 8 kHz with both channels');
  t.match(opened, { version: '2', id: s.id, seq: 1, clientseq: 1 });
  t.equal(r.started.length, 0, 'no call (no call slot) before the first audio');

  const ext = ramp(1600, (i) => Math.round(6000 * Math.sin(i / 5)));
  const int = ramp(1600, (i) => Math.round(-3000 * Math.cos(i / 9)));
  c.ws.send(pcmuStereo(ext, int));
  await until(() => r.legs.length === 2, 'legs on first audio');
  t.same(r.legs.map((l) => [l.role, l.label]), [['customer', 'external'], ['agent', 'internal']]);
  t.equal(r.infos[0].customerHash, r.identity.customerHash('+15550001111'), 'the ANI arrives only as its hash');
  t.equal(r.infos[0].source, 'genesys', "the key's name is the call's source");
  s.send('ping', { rtt: 'PT0.05S' });
  await s.reply('pong');
  s.send('paused');
  s.send('resumed', { start: 'PT0.2S', discarded: 'PT1.5S' });
  c.ws.send(pcmuStereo(ramp(160, () => 1000), ramp(160, () => -1000)));
  s.send('update', { language: 'en-US' });
  s.send('close', { reason: 'end' });
  const closed = await s.reply('closed');
  t.equal(closed.clientseq, 6);
  c.ws.close(1000);
  await until(() => r.ended.length === 1, 'call end');
  t.equal(r.ended[0].state, 'ended');
  const cust = [...r.samplesOf('customer')];
  const agent = [...r.samplesOf('agent')];
  t.same(cust.slice(0, 1600), viaUlaw(ext), 'external channel → customer leg');
  t.same(agent.slice(0, 1600), viaUlaw(int), 'internal channel → agent leg');
  const after = r.audio.get(r.legs[0].legId)!.at(-1)!;
  t.equal(after.tMs, 200 + 1500, 'audio after resume starts after the discarded 1.5 s');
});

t.test('wrong or missing API key: HTTP 401', async (t) => {
  const r = await startApp(t, { apiKeys: [{ name: 'genesys', key: KEY }] });
  await t.rejects(connect(`${r.url}/ingest/audiohook`, '', { 'x-api-key': 'b'.repeat(32) }), { message: 'HTTP 401' });
  await t.rejects(connect(`${r.url}/ingest/audiohook`, '', {}), { message: 'HTTP 401' });
  t.equal(await r.bad('audiohook', 'bad-key'), 1);
  t.equal(await r.bad('audiohook', 'missing-key'), 1);
});

t.test('sequence gap, audio before open, bad media and oversize frames: disconnect with reason error', async (t) => {
  const r = await startApp(t, { maxFrameBytes: 1000 });
  const expectDisconnect = async (c: Client, s: ReturnType<typeof session>) => {
    const d = await s.reply('disconnect');
    t.equal(d.parameters.reason, 'error');
    t.type(d.parameters.info, 'string');
    c.ws.close(1000);
    await c.closed;
  };
  {
    const c = await connect(`${r.url}/ingest/audiohook`);
    const s = session(c);
    s.send('open', { conversationId: randomUUID(), media: MEDIA });
    await s.reply('opened');
    c.ws.send(Buffer.alloc(320, 0xff)); // the call opens with its first audio
    await until(() => r.started.length === 1, 'call start');
    s.send('ping', {}, { seq: 5 });
    await expectDisconnect(c, s);
    await until(() => r.ended.length === 1, 'call end');
    t.equal(r.ended[0].state, 'interrupted');
  }
  {
    const c = await connect(`${r.url}/ingest/audiohook`);
    const s = session(c);
    c.ws.send(Buffer.alloc(320));
    await expectDisconnect(c, s);
  }
  {
    const c = await connect(`${r.url}/ingest/audiohook`);
    const s = session(c);
    s.send('open', { conversationId: randomUUID(), media: [{ type: 'audio', format: 'L16', channels: ['external'], rate: 16000 }] });
    await expectDisconnect(c, s);
  }
  {
    const c = await connect(`${r.url}/ingest/audiohook`);
    const s = session(c);
    s.send('open', { conversationId: randomUUID(), media: MEDIA });
    await s.reply('opened');
    c.ws.send(Buffer.alloc(2000));
    await expectDisconnect(c, s);
  }
  {
    const c = await connect(`${r.url}/ingest/audiohook`);
    c.ws.send('not json');
    await expectDisconnect(c, session(c));
  }
  t.equal(await r.bad('audiohook', 'bad-seq'), 1);
  t.equal(await r.bad('audiohook', 'bad-state'), 1);
  t.equal(await r.bad('audiohook', 'no-media'), 1);
  t.equal(await r.bad('audiohook', 'frame-too-big'), 1);
  t.equal(await r.bad('audiohook', 'bad-json'), 1);
  // The server still serves a well-behaved client.
  const c = await connect(`${r.url}/ingest/audiohook`);
  const s = session(c);
  s.send('open', { conversationId: randomUUID(), media: MEDIA });
  await s.reply('opened');
  s.send('close', { reason: 'end' });
  await s.reply('closed');
  c.ws.close(1000);
  await c.closed;
});

t.test('abrupt disconnect mid-call closes the call', async (t) => {
  const r = await startApp(t);
  const c = await connect(`${r.url}/ingest/audiohook`);
  const s = session(c);
  s.send('open', { conversationId: randomUUID(), media: [{ type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 }] });
  await s.reply('opened');
  c.ws.send(Buffer.alloc(800, 0xff));
  await until(() => (r.audio.get(r.legs[0]?.legId ?? '')?.length ?? 0) === 5, 'audio');
  c.ws.terminate();
  await until(() => r.ended.length === 1, 'call end');
  t.equal(r.ended[0].state, 'interrupted');
  t.equal(r.legs.length, 1);
  t.equal(r.legs[0].role, 'customer');
});

t.test('HTTP message signature: verified when the key has a client secret', async (t) => {
  const secret = Buffer.from('client-secret-of-32-bytes-long!!').toString('base64');
  const r = await startApp(t, { apiKeys: [{ name: 'genesys', key: KEY, clientSecret: secret }] });
  const authority = new URL(r.url).host;
  const signed = (over: Record<string, string> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const h: Record<string, string> = {
      'audiohook-organization-id': randomUUID(),
      'audiohook-session-id': randomUUID(),
      'audiohook-correlation-id': randomUUID(),
      'x-api-key': KEY,
    };
    const comps = ['@request-target', '@authority', 'audiohook-organization-id', 'audiohook-session-id', 'audiohook-correlation-id', 'x-api-key'];
    const params = `(${comps.map((c) => `"${c}"`).join(' ')});keyid="${KEY}";nonce="n0nce";alg="hmac-sha256";created=${now};expires=${now + 60}`;
    const values: Record<string, string> = { '@request-target': '/ingest/audiohook', '@authority': authority, ...h };
    const base = [...comps.map((c) => `"${c}": ${values[c]}`), `"@signature-params": ${params}`].join('\n');
    const mac = createHmac('sha256', Buffer.from(secret, 'base64')).update(base).digest('base64');
    return { ...h, 'signature-input': `sig1=${params}`, signature: `sig1=:${mac}:`, ...over };
  };
  const ok = await connect(`${r.url}/ingest/audiohook`, '', signed());
  ok.ws.close(1000);
  await ok.closed;
  await t.rejects(connect(`${r.url}/ingest/audiohook`, '', signed({ 'audiohook-session-id': randomUUID() })), { message: 'HTTP 401' });
  await t.rejects(connect(`${r.url}/ingest/audiohook`, '', { 'x-api-key': KEY }), { message: 'HTTP 401' });
  t.equal(await r.bad('audiohook', 'signature-mismatch'), 1);
  t.equal(await r.bad('audiohook', 'unsigned'), 1);
});
