// Probe: with the default configuration nobody can create a call. Every audio-fork protocol
// refuses the websocket upgrade (no key is configured: 403, and 401 once one is but not presented),
// AudioSocket hangs up at once, a SIPREC INVITE from a source outside sip.allow gets 403 from sipp's
// point of view, and the SQLite file holds no call. /readyz and the start-up log say what is closed
// and how to open it.
import { connect as tcp } from 'node:net';
import { request } from 'node:http';
import t from 'tap';
import { WebSocket } from 'ws';
import { memoryLogger } from '../metrics/siprec-rig.js';
import { freePort, runSipp } from '../fixtures/sipp/harness.js';
import { eventually, sippPorts, startProbe } from './rig.js';

// The second probe's key arrives by environment variable (keyEnv), as a systemd credential would.
process.env.EARSHOT_TEST_SBC1_KEY = 'sbc1-key-7f3a9c2e5b8d1f4a';

const FORKS: [string, string | undefined][] = [
  ['/ingest/audio-fork', 'audio.drachtio.org'],
  ['/ingest/jambonz', 'audio.jambonz.org'],
  ['/ingest/audiohook', undefined],
  ['/ingest/ari', undefined],
];

/** The upgrade's HTTP status, or 101 when a websocket opened (it then sends metadata and audio). */
function upgrade(url: string, protocol: string | undefined, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocol ? [protocol] : [], { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('open', () => {
      ws.send(JSON.stringify({ sampleRate: 8000, agentId: 'attacker', queue: 'vip' }));
      ws.send(Buffer.alloc(3200));
      resolve(101);
      setTimeout(() => ws.close(), 200);
    });
    ws.once('error', () => resolve(0));
  });
}

t.test('default configuration: forks, AudioSocket and off-list SIPREC are refused; nothing is stored', async (t) => {
  const logs: string[] = [];
  const asPort = await freePort();
  // audioSocketPort is off by default; turned on (as an operator would) to show that listening is not open.
  const p = await startProbe(t, (c) => (c.forks = { audioSocketPort: asPort }), memoryLogger(logs));

  for (const [route, proto] of FORKS) {
    t.equal(await upgrade(p.wsUrl + route, proto), 403, `${route}: closed (403) without any key configured`);
    t.equal(await upgrade(p.wsUrl + route, proto, { authorization: 'Bearer guessed-key-0123456789' }), 403, `${route}: a guessed key changes nothing`);
  }
  t.equal(await p.bad('ws-fork', 'closed'), 4, 'refusals counted (audio-fork, jambonz)');
  // The refusal carries the API's one error body, with the code and how to open ingest.
  const refused = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(`${p.httpUrl}${FORKS[0][0]}`, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': FORKS[0][1]! } });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('upgrade', () => reject(new Error('upgraded without a key')));
    req.on('error', reject);
    req.end();
  });
  t.equal(refused.status, 403);
  const body = JSON.parse(refused.text) as { error: { code: string; message: string } };
  t.equal(body.error.code, 'EARSHOT_ERR_INGEST_CLOSED');
  t.match(body.error.message, /forks\.apiKeys/);

  const sock = tcp(asPort, '127.0.0.1');
  const uuid = Buffer.from([0x01, 0x00, 0x10, ...Buffer.alloc(16, 7)]);
  const audio = Buffer.concat([Buffer.from([0x10, 0x01, 0x40]), Buffer.alloc(320)]);
  sock.on('connect', () => sock.write(Buffer.concat([uuid, audio])));
  await new Promise<void>((res) => sock.on('close', () => res()).on('error', () => {}));
  t.equal(await p.bad('audiosocket', 'closed'), 1, 'AudioSocket connection dropped: no allowed source');

  // SIPREC from 127.0.0.2, standing for an SBC not listed in sip.allow (only 127.0.0.1/::1 are exempt).
  const run = await runSipp(t, p.dir, 'uac-siprec-expect-403.xml', {}, `127.0.0.1:${p.appliance.sip!.udp}`, [...(await sippPorts()), '-i', '127.0.0.2']);
  t.equal(run.code, 0, `sipp from an off-list source got 403: ${run.stderr.slice(-300)}`);
  t.equal(await p.bad('sip', 'forbidden-source'), 1);

  t.same(p.storedCalls(), [], 'no call in the SQLite file');
  t.equal(p.appliance.pipeline.calls.size, 0, 'no live call');

  const ready = (await (await fetch(`${p.httpUrl}/readyz`)).json()) as { ready: boolean; checks: Record<string, { ok: boolean; state?: string; detail: string; how?: string }> };
  t.equal(ready.checks.forks.state, 'closed');
  t.match(ready.checks.forks.how, /forks\.apiKeys/, 'says how to open the forks');
  t.equal(ready.checks.audiosocket.state, 'closed');
  t.match(ready.checks.audiosocket.how, /allow/);
  t.equal(ready.checks.sip.state, 'local-only');
  t.match(ready.checks.sip.how, /sip\.allow/);
  await eventually(() => logs.some((l) => /ingest closed/.test(l) && /forks\.apiKeys/.test(l)), 'start-up log line about closed forks');
  t.ok(logs.some((l) => /ingest local-only/.test(l) && /sip\.allow/.test(l)), 'start-up log says SIPREC takes the local host only');
});

t.test('a key opens only what it lists, from where it is allowed; the key name is the source', async (t) => {
  const KEY = 'sbc1-key-7f3a9c2e5b8d1f4a';
  const p = await startProbe(t, (c) => (c.forks = { apiKeys: [{ name: 'sbc-1', keyEnv: 'EARSHOT_TEST_SBC1_KEY', protocols: ['jambonz'] }] }));
  t.equal(await upgrade(`${p.wsUrl}/ingest/jambonz`, 'audio.jambonz.org'), 401, 'no key presented: 401');
  t.equal(await upgrade(`${p.wsUrl}/ingest/jambonz`, 'audio.jambonz.org', { authorization: 'Bearer wrong-key-0123456789abc' }), 401, 'wrong key: 401');
  t.equal(await upgrade(`${p.wsUrl}/ingest/audio-fork`, 'audio.drachtio.org', { authorization: `Bearer ${KEY}` }), 403, 'a protocol the key does not list stays closed');
  t.equal(await upgrade(`${p.wsUrl}/ingest/jambonz`, 'audio.jambonz.org', { authorization: `Bearer ${KEY}` }), 101, 'the right key opens jambonz');
  await eventually(() => p.storedCalls().some((c) => c.state !== 'active'), 'the call stored and ended');
  const calls = p.storedCalls();
  t.equal(calls.length, 1, 'one call');
  t.equal(calls[0].source, 'sbc-1', "the key's name is the stored source");
  t.equal(calls[0].agent_id, 'attacker', 'metadata from an authenticated source is kept');
});
