// The same mutations through real loopback sockets, where the pure parsers are not the whole
// story: the fork websocket handlers (mod_audio_fork, jambonz, AudioHook, ARI) and the embedded
// SIP front over UDP and TCP. Bounded counts; afterwards the servers must still serve a good call.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { mutate, rng } from './engine.js';
import { connect, RIG_AUTH, startApp, until } from '../ingest/fork/rig.js';
import { UdpClient, tcpRequest } from '../ingest/sip/client.js';
import { startIngest } from '../ingest/siprec/helpers.js';
import { allTargets } from './targets.js';

const B = (s: string) => Buffer.from(s);
const PATHS: { path: string; protocol: string; seeds: Buffer[] }[] = [
  { path: '/ingest/audio-fork', protocol: 'audio.drachtio.org', seeds: [B('{"callSid":"f1","sampleRate":8000,"mixType":"stereo"}'), B('{"uuid":"f2","sampleRate":16000,"mixType":"mono"}')] },
  { path: '/ingest/jambonz', protocol: 'audio.jambonz.org', seeds: [B('{"callSid":"j1","sampleRate":8000,"mixType":"stereo","from":"+1555"}')] },
  {
    path: '/ingest/audiohook',
    protocol: '',
    seeds: [B(JSON.stringify({ version: '2', type: 'open', seq: 1, clientseq: 0, id: randomUUID(), position: 'PT0S', parameters: { organizationId: 'o', conversationId: randomUUID(), participant: { id: 'p' }, media: [{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }] } }))],
  },
  { path: '/ingest/ari', protocol: '', seeds: [B('MEDIA_START connection_id:c1 channel:PJSIP/1-1 format:ulaw optimal_frame_size:160'), B('MEDIA_START connection_id:c2 channel:PJSIP/2-1 format:slin16 optimal_frame_size:640')] },
];
const PER_PATH = 40;

async function abuse(url: string, protocol: string, frames: (Buffer | string)[]): Promise<void> {
  // Authenticated (the rig's key): the mutations must reach the handlers, not stop at the door.
  const ws = new WebSocket(url, protocol ? [protocol] : [], { headers: RIG_AUTH });
  const closed = new Promise<void>((r) => ws.on('close', () => r()));
  ws.on('error', () => {}); // refused upgrades and resets are fine: the server decides
  const opened = await new Promise<boolean>((r) => (ws.once('open', () => r(true)), ws.once('close', () => r(false))));
  if (opened) {
    for (const f of frames) if (ws.readyState === WebSocket.OPEN) ws.send(f);
    setTimeout(() => ws.close(1000), 50);
  }
  const timer = setTimeout(() => ws.terminate(), 3000);
  await closed;
  clearTimeout(timer);
}

t.test('fork websockets: mutated set-up and audio frames are refused, the server keeps serving', async (t) => {
  const r = await startApp(t, { maxFrameBytes: 4096 });
  const rand = rng(11);
  for (const p of PATHS) {
    for (let i = 0; i < PER_PATH; i++) {
      const first = mutate(rand, p.seeds, 2048, ['"sampleRate":', '"mixType":', 'format:', '"media":', '"type":"']);
      const audio = Array.from({ length: 3 }, () => mutate(rand, [Buffer.alloc(320, 0x11), Buffer.alloc(641, 0x7f)], 6000, []));
      // Text frames go as text (the handlers tell them apart); some audio is sent before set-up.
      await abuse(`${r.url}${p.path}`, p.protocol, i % 5 === 0 ? [...audio, first.toString('utf8')] : [first.toString('utf8'), ...audio, first.toString('utf8')]);
    }
  }
  await until(() => r.calls.size === 0, 'every abused call closed', 10_000);
  t.equal(r.calls.size, 0, `${PATHS.length * PER_PATH} abusive connections left no call open`);
  const bad = (await r.metrics.registry.getSingleMetric('earshot_bad_input_total')!.get()).values.reduce((a, v) => a + v.value, 0);
  t.ok(bad > 0, `rejections counted as bad input (${bad})`);

  // A well-formed mod_audio_fork call still works end to end.
  const before = r.legs.length;
  const c = await connect(`${r.url}/ingest/audio-fork`, 'audio.drachtio.org');
  c.ws.send(JSON.stringify({ callSid: 'after-fuzz', sampleRate: 8000, mixType: 'stereo' }));
  c.ws.send(Buffer.alloc(3200, 1));
  await until(() => r.legs.length === before + 2, 'both legs of the good call');
  c.ws.close(1000);
  await c.closed;
  await until(() => r.calls.size === 0, 'good call ended');
  t.pass('a good call is served after the abuse');
});

t.test('SIP front: mutated datagrams and TCP messages, then OPTIONS still answers 200', async (t) => {
  const h = await startIngest(t);
  const sip = (await allTargets(t.testdir())).find((x) => x.name === 'sip-udp')!;
  const rand = rng(5);
  const udp = await UdpClient.open(t, h.ingest.address().udp);
  for (let i = 0; i < 1500; i++) {
    udp.send(mutate(rand, sip.seeds, 9000, []));
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20)); // let the socket drain
  }
  for (let i = 0; i < 30; i++) await tcpRequest(h.ingest.address().tcp, mutate(rand, sip.seeds, 9000, []).toString('latin1'), 150);
  const options = ['OPTIONS sip:srs@127.0.0.1 SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${udp.localPort};branch=z9hG4bKafter`, 'From: <sip:a@127.0.0.1>;tag=1', 'To: <sip:srs@127.0.0.1>', 'Call-ID: after-fuzz', 'CSeq: 99 OPTIONS', 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join('\r\n');
  const res = await udp.request(options, '99 OPTIONS');
  t.equal(res?.status, 200, 'OPTIONS answered after 1,530 mutated messages');
  const bad = (await h.metrics.registry.getSingleMetric('earshot_bad_input_total')!.get()).values.reduce((a, v) => a + v.value, 0);
  t.ok(bad > 100, `rejections counted as bad input (${bad})`);
});
