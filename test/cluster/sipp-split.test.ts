// A SIPREC call from sipp across three roles in this process over a real nats-server: an ingest
// node (SIP front), a speech node and a core node, each with its own NATS connection. The call's
// lifecycle and the speech node's transcripts reach core only over the bus; core analyses and
// stores them. Loopback only.
import t from 'tap';
import path from 'node:path';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import { parseRoles } from '../../src/cluster/config.js';
import { startNode } from '../../src/main.js';
import type { Utterance } from '../../src/call/types.js';
import { freePort, legPackets, runSipp, speechUlaw, writePcap } from '../fixtures/sipp/harness.js';
import { SUPERVISOR_SCRIPT } from '../metrics/siprec-rig.js';
import { natsServerMissing, startNats } from './nats-helper.js';
import { dbOf } from '../helpers/db.js';

t.test('sipp -> ingest node -> speech node -> core node: the call is analysed and stored at core', { skip: natsServerMissing(), timeout: 150_000 }, async (t) => {
  const srv = await startNats();
  t.teardown(() => srv.stop());
  const dir = t.testdir();
  const cfg = (name: string) => validateConfig({
    dataDir: path.join(dir, name),
    log: { level: 'silent' },
    http: { host: '127.0.0.1', port: 0 },
    sip: { host: '127.0.0.1', port: 0 },
    rtp: { host: '127.0.0.1' },
    speech: { workers: 1 },
    cluster: { node: name, nats: { servers: [srv.url] } },
  });
  const log = pino({ level: 'silent' });
  let core = await startNode(cfg('core-1'), { roles: parseRoles('core'), log });
  t.teardown(() => core.close());
  const speech = await startNode(cfg('speech-1'), { roles: parseRoles('speech'), log });
  t.teardown(() => speech.close());
  const ingest = await startNode(cfg('ingest-1'), { roles: parseRoles('ingest'), log });
  t.teardown(() => ingest.close());
  t.notOk(core.sip, 'core runs no SIP front');
  t.ok(ingest.sip, 'ingest does');

  const bus = core.appliance!.pipeline.bus;
  const utterances: Utterance[] = [];
  let callId = '';
  bus.on('utterance', (u) => void utterances.push(u));
  bus.on('call.started', (c) => (callId ||= c.callId));
  const ended = new Promise<string>((resolve) => bus.on('call.ended', (e) => resolve(e.state)));

  // An INVITE is taken whatever the capacity (only OPTIONS reports it); legs wait for a speech node.
  const agent = speechUlaw(dir, 'agent', SUPERVISOR_SCRIPT.agent, 'kal16');
  const customer = speechUlaw(dir, 'customer', SUPERVISOR_SCRIPT.customer, 'kal16');
  const pcap = path.join(dir, 'two-leg.pcap');
  writePcap(pcap, [
    ...legPackets(agent.ulaw, { ssrc: 0x1111, srcPort: 7000, dstPort: 9000, t0: 1 }),
    ...legPackets(customer.ulaw, { ssrc: 0x2222, srcPort: 7002, dstPort: 9002, t0: 1.001 }),
  ].sort((a, b) => a.t - b.t));
  const durMs = Math.ceil((Math.max(agent.ulaw.length, customer.ulaw.length) / 8000) * 1000) + 800;
  const call = async () => runSipp(t, dir, 'uac-siprec-two-leg-expect-200.xml', { PCAP: pcap, PAUSE: String(durMs) }, `127.0.0.1:${ingest.sip!.udp}`, ['-p', String(await freePort()), '-mp', String(await freePort(4))]);
  const run = await runSipp(t, dir, 'uac-siprec-two-leg-expect-200.xml', { PCAP: pcap, PAUSE: String(durMs) }, `127.0.0.1:${ingest.sip!.udp}`, ['-p', String(await freePort()), '-mp', String(await freePort(4))]);
  t.equal(run.code, 0, `sipp got 200 to INVITE and BYE: ${run.stderr.slice(-300)}`);
  t.equal(await ended, 'ended', 'call.ended reached core over the stream');
  t.ok(callId, 'call.started reached core');
  // Transcripts were flushed before the speech node released the legs, so before call.ended.
  const text = utterances.map((u) => u.text).join(' ').toLowerCase();
  t.ok(utterances.length >= 2, `utterances analysed at core (${utterances.length})`);
  t.match(text, /supervisor/u, 'the customer was recognised on the speech node');
  t.same([...new Set(utterances.map((u) => u.role))].sort(), ['agent', 'customer'], 'both legs');
  const store = core.appliance!.pipeline.store;
  store.flush();
  const row = dbOf(store).prepare('SELECT state FROM calls WHERE id = ?').get(callId) as { state: string } | undefined;
  t.equal(row?.state, 'ended', 'stored at core');

  // Core stops; a second call runs meanwhile (ingest and speech carry on); core comes back on the
  // same data dir and its durable consumer delivers the whole call: nothing lost.
  await core.close();
  const run2 = await call();
  t.equal(run2.code, 0, 'a call while core is down');
  core = await startNode(cfg('core-1'), { roles: parseRoles('core'), log });
  // Read from the store (the consumer may deliver before a listener here could attach).
  const store2 = core.appliance!.pipeline.store;
  const second = () => {
    store2.flush();
    return dbOf(store2).prepare("SELECT c.id, c.state, (SELECT group_concat(text, ' ') FROM utterances u WHERE u.call_id = c.id) AS text FROM calls c WHERE c.id != ?").get(callId) as { id: string; state: string; text: string | null } | undefined;
  };
  const end = Date.now() + 60_000; // a bound against hanging
  while (second()?.state !== 'ended' && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  const row2 = second();
  t.equal(row2?.state, 'ended', 'the second call reached the restarted core and is stored');
  t.match(row2?.text?.toLowerCase() ?? '', /supervisor/u, 'with its utterances');
});
