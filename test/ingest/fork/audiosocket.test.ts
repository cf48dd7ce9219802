import { randomUUID } from 'node:crypto';
import { connect as tcp, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { createAudioSocketServer } from '../../../src/ingest/fork/index.js';
import { makeDeps, ramp, until } from './rig.js';

// Asterisk AudioSocket over real TCP on loopback; the client speaks the wire format from the spec.

const msg = (type: number, payload: Buffer = Buffer.alloc(0)) => {
  const h = Buffer.alloc(3);
  h[0] = type;
  h.writeUInt16BE(payload.length, 1);
  return Buffer.concat([h, payload]);
};
const uuidMsg = (u: string) => msg(0x01, Buffer.from(u.replace(/-/g, ''), 'hex'));
const slin = (xs: number[], type = 0x10) => msg(type, Buffer.from(Int16Array.from(xs).buffer));

async function start(t: Test, forks: Record<string, unknown> = {}) {
  const r = makeDeps(forks);
  const srv = (await createAudioSocketServer(r.deps, { port: 0, host: '127.0.0.1' }))!;
  t.teardown(() => srv.close());
  const open = (): Promise<{ sock: Socket; received: () => Buffer; ended: Promise<void> }> =>
    new Promise((resolve, reject) => {
      const sock = tcp(srv.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      sock.on('data', (d) => chunks.push(d));
      const ended = new Promise<void>((res) => sock.on('close', () => res()));
      sock.once('connect', () => resolve({ sock, received: () => Buffer.concat(chunks), ended }));
      sock.once('error', reject);
      t.teardown(() => sock.destroy());
    });
  return { ...r, open };
}

t.test('two connections with one UUID: one call, customer then agent, DTMF without digits, hangup ends it', async (t) => {
  const r = await start(t);
  const id = randomUUID();
  const a = await r.open();
  a.sock.write(uuidMsg(id));
  const b = await r.open();
  b.sock.write(uuidMsg(id));
  // A leg (and the call) opens with its first audio, not with the UUID: no call slot before it.
  await new Promise((res) => setImmediate(res));
  t.equal(r.started.length, 0, 'no call before audio');
  const cust = ramp(480, (i) => i * 7);
  // Split one message across TCP writes: the parser must reassemble.
  const m = slin(cust);
  a.sock.write(m.subarray(0, 5));
  a.sock.write(m.subarray(5));
  await until(() => r.legs.length === 1, 'first leg');
  b.sock.write(slin(ramp(320, () => -9), 0x12));
  await until(() => r.legs.length === 2, 'second leg');
  a.sock.write(msg(0x03, Buffer.from('5')));
  await until(() => r.samplesOf('customer').length === 480 && r.samplesOf('agent').length === 320, 'audio');
  t.same([...r.samplesOf('customer')], cust);
  t.equal(r.audio.get(r.legs[1].legId)![0].sampleRate, 16000);
  t.equal(r.started.length, 1);
  t.same(r.legs.map((l) => l.role), ['customer', 'agent']);
  await until(() => r.events.length === 1, 'dtmf event');
  t.same({ ...r.events[0], callId: undefined, legId: undefined }, { callId: undefined, legId: undefined, kind: 'dtmf', tMs: 60 });
  t.notOk(JSON.stringify(r.events[0]).includes('"5"'), 'the digit is not carried');
  a.sock.write(msg(0x00));
  b.sock.write(msg(0x00));
  await until(() => r.ended.length === 1, 'call end');
  t.equal(r.ended[0].state, 'ended');
});

t.test('abrupt disconnect closes the call', async (t) => {
  const r = await start(t);
  const a = await r.open();
  a.sock.write(uuidMsg(randomUUID()));
  a.sock.write(slin(ramp(160, () => 1)));
  await until(() => r.samplesOf('customer').length === 160, 'audio');
  a.sock.resetAndDestroy();
  await until(() => r.ended.length === 1, 'call end');
  t.equal(r.ended[0].state, 'interrupted');
});

t.test('protocol errors get a hangup and are counted; the next connection is served', async (t) => {
  const r = await start(t, { maxFrameBytes: 1024 });
  const noUuid = await r.open();
  noUuid.sock.write(slin([1, 2, 3]));
  await noUuid.ended;
  t.same([...noUuid.received()], [0, 0, 0], 'hangup message sent');
  const big = await r.open();
  big.sock.write(uuidMsg(randomUUID()));
  big.sock.write(Buffer.from([0x10, 0x20, 0x00])); // announces 8192 bytes
  await big.ended;
  const odd = await r.open();
  odd.sock.write(uuidMsg(randomUUID()));
  odd.sock.write(msg(0x10, Buffer.alloc(3)));
  await odd.ended;
  const weird = await r.open();
  weird.sock.write(uuidMsg(randomUUID()));
  weird.sock.write(msg(0x42, Buffer.alloc(2)));
  await weird.ended;
  t.equal(await r.bad('audiosocket', 'no-uuid'), 1);
  t.equal(await r.bad('audiosocket', 'frame-too-big'), 1);
  t.equal(await r.bad('audiosocket', 'odd-audio'), 1);
  t.equal(await r.bad('audiosocket', 'bad-type'), 1);
  t.equal(r.started.length, 0, 'none of them opened a call: no audio was accepted');
  const ok = await r.open();
  ok.sock.write(uuidMsg(randomUUID()));
  ok.sock.write(slin(ramp(160, () => 3)));
  await until(() => r.legs.length === 1 && r.samplesOf('customer', r.legs[0].callId).length === 160, 'served');
  t.equal(r.infos[0].source, 'rig', "the allow-list entry's name is the call's source");
});

t.test('off when the configured port is 0; closed without an entry; refuses sources outside allow', async (t) => {
  const closed = makeDeps({ apiKeys: [] });
  t.equal(await createAudioSocketServer(closed.deps), undefined);
  const refusedBy = async (r: ReturnType<typeof makeDeps>) => {
    const srv = (await createAudioSocketServer(r.deps, { port: 0 }))!;
    t.teardown(() => srv.close());
    const sock = tcp(srv.port, '127.0.0.1');
    await new Promise<void>((res) => sock.on('close', () => res()).on('error', () => {}));
  };
  await refusedBy(closed);
  t.equal(await closed.bad('audiosocket', 'closed'), 1, 'no entry lists audiosocket: closed');
  const elsewhere = makeDeps({ apiKeys: [{ name: 'pbx', protocols: ['audiosocket'], allow: ['10.0.0.0/8'] }] });
  await refusedBy(elsewhere);
  t.equal(await elsewhere.bad('audiosocket', 'forbidden-source'), 1, 'loopback is not in the entry');
  t.equal(closed.started.length + elsewhere.started.length, 0);
});
