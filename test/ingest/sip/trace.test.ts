// The per-call SIP log with a real SRC (sipp) on loopback, a real SQLite store and the real pino
// output: the whole dialog is logged and stored, rejections carry their reason, and no AOR or
// number reaches the info level (the debug level has the messages, redacted).
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import { validateConfig } from '../../../src/config/index.js';
import { connectStore, openStore, type Store } from '../../../src/store/index.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { createSiprecIngest } from '../../../src/ingest/siprec/index.js';
import { redactSip, SipTrace } from '../../../src/ingest/sip/trace.js';
import { PortPool } from '../../../src/ingest/rtp/port-pool.js';
import { SrsCore } from '../../../src/ingest/siprec/core.js';
import { drachtioHandlers, type SrfReq, type SrfRes } from '../../../src/ingest/siprec/drachtio.js';
import { createIngestMetrics } from '../../../src/ingest/siprec/metrics.js';
import { sdpOffer } from './client.js';
import { formatCall } from '../../../src/cli/calls.js';
import { freePort, runSipp } from '../../fixtures/sipp/harness.js';
import { metricValue, waitFor } from '../siprec/helpers.js';
import { dbOf } from '../../helpers/db.js';

const PII = ['+15550001111', '5550001111', '555 000 1111', 'Jane', 'Agent Smith', '2001@'];

async function rig(t: Test, level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const log = pino({ level }, sink);
  const store: Store = openStore({ path: join(t.testdir(), 'earshot.db') });
  const base = 30000 + 2 * Math.floor(Math.random() * 10000);
  const config = validateConfig({ sip: { host: '127.0.0.1', port: 0 }, rtp: { host: '127.0.0.1', portMin: base, portMax: base + 200 } });
  const bus = new PipelineBus();
  const calls = new CallRegistry(bus, 10);
  const off = connectStore(store, bus);
  const metrics = createMetrics({ defaults: false });
  const ingest = await createSiprecIngest({ config, log, bus, calls, metrics, store });
  t.teardown(async () => {
    await ingest.close();
    off();
    store.close();
  });
  const sipp = (scenario: string, subs: Record<string, string> = {}) =>
    freePort().then(async (p) => runSipp(t, t.testdir(), scenario, subs, `127.0.0.1:${ingest.address().udp}`, ['-p', String(p), '-mp', String(await freePort(4))]));
  const sipRows = () => dbOf(store).prepare('SELECT * FROM sip_log ORDER BY id').all() as { sip_call_id: string; call_id: string | null; dir: string; method: string; status: number | null; reason: string | null; peer: string }[];
  return { lines, store, ingest, metrics, calls, sipp, sipRows };
}

t.test('the whole dialog (INVITE, 100, 200, ACK, BYE, 200) is logged, stored and shown by calls show; no PII at info', async (t) => {
  const r = await rig(t);
  const run = await r.sipp('uac-siprec-sip-log-expect-200.xml', { PAUSE: '300' });
  t.equal(run.code, 0, run.stderr.slice(-400));
  // The BYE's 200 is written by the SIP log's flush (200 ms batches): wait for it.
  t.ok(await waitFor(() => r.sipRows().length >= 6), 'six rows stored');
  const rows = r.sipRows();
  t.same(rows.map((x) => `${x.dir} ${x.status ?? ''} ${x.method}`.replace('  ', ' ')), ['in INVITE', 'out 100 INVITE', 'out 200 INVITE', 'in ACK', 'in BYE', 'out 200 BYE']);
  const call = dbOf(r.store).prepare("SELECT id, external_id, end_reason FROM calls WHERE ingest = 'siprec'").get() as { id: string; external_id: string; end_reason: string };
  t.ok(rows.every((x) => x.sip_call_id === call.external_id), 'every row keyed by the dialog Call-ID');
  t.ok(rows.every((x) => x.call_id === call.id), 'every row linked to the call, the INVITE and 100 (logged before the call existed) included');
  t.ok(rows.every((x) => /^127\.0\.0\.1:\d+$/.test(x.peer)), 'peer address:port');

  // calls show, from the stored rows.
  await waitFor(() => r.store.getCall(call.id)?.endReason !== undefined);
  const stored = r.store.getCall(call.id)!;
  const text = formatCall(stored, r.store.repos.sipLog.ofCall(call.id, call.external_id), call.external_id);
  for (const want of ['INVITE', '100 INVITE', '200 INVITE', 'ACK', 'BYE', '200 BYE']) t.match(text, new RegExp(`\\s${want}\\s`), `calls show lists ${want}`);
  t.match(text, /end reason\s+bye/, 'why it ended');
  t.match(text, /legs \(2\)/);
  t.match(text, /source as SDP \(strict\)/, 'latching mode and outcome per leg');
  for (const p of PII) t.notOk(text.includes(p), `calls show has no ${p}`);

  // Info lines: one per message, bound to the Call-ID, no AOR or number.
  const info = r.lines.filter((l) => l.level === 30 && typeof l.msg === 'string' && (l.msg as string).startsWith('SIP '));
  t.equal(info.length, 6, 'one info line per request/response');
  t.ok(info.every((l) => l.callId === call.external_id && l.peer), 'child logger bound to the Call-ID; source address given');
  t.same(info.map((l) => l.msg), ['SIP in INVITE', 'SIP out 100 INVITE', 'SIP out 200 INVITE', 'SIP in ACK', 'SIP in BYE', 'SIP out 200 BYE']);
  const infoText = JSON.stringify(r.lines.filter((l) => (l.level as number) >= 30));
  for (const p of PII) t.notOk(infoText.includes(p), `no ${p} at info level or above`);

  // Debug: the full messages, redacted.
  const debug = r.lines.filter((l) => l.level === 20 && typeof l.sip === 'string');
  t.equal(debug.length, 6, 'each message in full at debug');
  const invite = debug[0].sip as string;
  t.match(invite, /^INVITE sip:\[redacted\]@127\.0\.0\.1:\d+ SIP\/2\.0/);
  t.match(invite, /Contact: <sip:\[redacted\]@127\.0\.0\.1:\d+;transport=UDP>;\+sip\.src/, 'no display name made up');
  t.match(invite, /From: "\[redacted\]" <sip:\[redacted\]@carrier\.example>;tag=/);
  t.match(invite, /P-Asserted-Identity: <tel:\[redacted\]>/);
  t.match(invite, /To: "\[redacted\]" <sip:\[redacted\]@pbx\.example>/);
  t.match(invite, /X-Caller-Number: \[number\]/);
  t.match(invite, /<name>\[redacted\]<\/name>/);
  t.match(invite, /m=audio \d+ RTP\/AVP 0/, 'SDP kept');
  t.match(invite, new RegExp(`Call-ID: ${call.external_id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'Call-ID kept');
  const debugText = JSON.stringify(debug);
  for (const p of PII) t.notOk(debugText.includes(p), `no ${p} at debug either`);
});

t.test('rejected INVITEs are logged and stored with their reason: 420 Bad Extension, 488 no codec', async (t) => {
  const r = await rig(t, 'info');
  const a = await r.sipp('uac-siprec-require-expect-420.xml', { PAUSE: '0' });
  t.equal(a.code, 0, a.stderr.slice(-400));
  const b = await r.sipp('uac-no-codec-expect-488.xml');
  t.equal(b.code, 0, b.stderr.slice(-400));
  t.ok(await waitFor(() => r.sipRows().filter((x) => x.status === 488).length === 1));
  const rows = r.sipRows();
  const r420 = rows.find((x) => x.status === 420)!;
  t.equal(r420.reason, 'Bad Extension; bad-extension');
  t.equal(r420.call_id, null, 'no call for a rejected INVITE');
  t.ok(rows.some((x) => x.sip_call_id === r420.sip_call_id && x.method === 'ACK' && x.dir === 'in'), 'the ACK of the 420 is in the log too');
  t.equal(rows.find((x) => x.status === 488)!.reason, 'Not Acceptable Here; no-codec');
  const line = r.lines.find((l) => l.status === 420)!;
  t.equal(line.msg, 'SIP out 420 INVITE');
  t.equal(line.why, 'bad-extension');
  t.equal(r.lines.find((l) => l.status === 488)?.why, 'no-codec');
  // calls show by SIP Call-ID when there is no call.
  const text = formatCall(undefined, r.store.repos.sipLog.ofDialog(r420.sip_call_id), r420.sip_call_id);
  t.match(text, /no call recorded for SIP Call-ID/);
  t.match(text, /420 INVITE .*Bad Extension; bad-extension/);
  t.equal(r.calls.size, 0);
  t.equal(await metricValue(r.metrics, 'earshot_sip_log_dropped_total'), 0);
});

t.test('redactSip: AORs, display names, tel URIs, metadata names and numbers go; routing stays', async (t) => {
  const msg = [
    'INVITE sip:+4930123456@srs.example:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds',
    'From: Alice Example <sips:alice@example.com>;tag=1928301774',
    't: "Bob" <sip:bob@10.0.0.9>',
    'Call-ID: a84b4c76e66710@pc33.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:src@10.0.0.5:5060>',
    'Referred-By: <tel:+1-555-000-1111>',
    'User-to-User: caller (030) 1234-5678',
    'Content-Length: 12345',
    '',
    'c=IN IP4 10.0.0.5',
    '<nameID aor="sip:+4930123456@x"><name xml:lang="en">Alice Example</name></nameID>',
  ].join('\r\n');
  const out = redactSip(msg);
  t.match(out, 'INVITE sip:[redacted]@srs.example:5060 SIP/2.0');
  t.match(out, 'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds');
  t.match(out, 'From: "[redacted]" <sips:[redacted]@example.com>;tag=1928301774');
  t.match(out, 't: "[redacted]" <sip:[redacted]@10.0.0.9>');
  t.match(out, 'Call-ID: a84b4c76e66710@pc33.example.com');
  t.match(out, 'CSeq: 314159 INVITE');
  t.match(out, 'Referred-By: <tel:[redacted]>');
  t.match(out, 'Contact: <sip:[redacted]@10.0.0.5:5060>');
  t.match(out, 'User-to-User: caller [number]');
  t.match(out, 'Content-Length: 12345');
  t.match(out, 'c=IN IP4 10.0.0.5');
  t.match(out, '<name xml:lang="en">[redacted]</name>');
  for (const p of ['4930123456', 'alice', 'Alice', 'Bob', 'bob@', '555', '1234-5678']) t.notOk(out.includes(p), `${p} removed`);
});

t.test('the SIP log cannot stop SIP: a store that fails drops rows, counted', async (t) => {
  const r = await rig(t, 'info');
  dbOf(r.store).exec('DROP TABLE sip_log'); // the write fails from now on
  const run = await r.sipp('uac-no-codec-expect-488.xml');
  t.equal(run.code, 0, 'the INVITE still answered');
  t.ok(await waitFor(async () => (await metricValue(r.metrics, 'earshot_sip_log_dropped_total', { reason: 'store' })) >= 3), 'INVITE, 100, 488 (and the ACK) counted as dropped');
  const opt = await r.sipp('uac-options-expect-200.xml');
  t.equal(opt.code, 0, 'and OPTIONS');
});

t.test('OPTIONS keep-alives: debug only and not stored; a refused OPTIONS is an info line and a row', async (t) => {
  const r = await rig(t, 'debug');
  t.equal((await r.sipp('uac-options-expect-200.xml')).code, 0);
  await waitFor(() => r.lines.filter((l) => l.method === 'OPTIONS').length >= 2);
  t.same(r.lines.filter((l) => l.method === 'OPTIONS').map((l) => [l.level, l.msg]), [[20, 'SIP in OPTIONS'], [20, 'SIP out 200 OPTIONS']]);
  // A later INVITE's rows prove the log has flushed past the OPTIONS.
  t.equal((await r.sipp('uac-no-codec-expect-488.xml')).code, 0);
  t.ok(await waitFor(() => r.sipRows().some((x) => x.status === 488)));
  t.same(r.sipRows().filter((x) => x.method === 'OPTIONS'), [], 'no row for a keep-alive');
});

t.test('the drachtio front writes the same SIP log', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'earshot.db') });
  const bus = new PipelineBus();
  const calls = new CallRegistry(bus, 5);
  const off = connectStore(store, bus);
  const im = createIngestMetrics(createMetrics({ defaults: false }));
  const base = 30000 + 2 * Math.floor(Math.random() * 10000);
  const core = new SrsCore({ log: pino({ level: 'silent' }), bus, calls, metrics: im, pool: new PortPool(base, base + 100, '127.0.0.1') }, { allow: [], advertise: '', jitterMs: 60 });
  const trace = new SipTrace({ log: pino({ level: 'silent' }), metrics: im, sink: store.repos.sipLog, callIdOf: (id) => core.session(id)?.callId });
  t.teardown(async () => {
    core.close();
    await trace.close();
    off();
    store.close();
  });
  const started: string[] = [];
  bus.on('call.started', (c) => started.push(c.callId));
  const h = drachtioHandlers(core, im, '127.0.0.1', trace);
  const req = (method: string, headers: Record<string, string>, body = ''): SrfReq => ({ method, body, source_address: '127.0.0.1', source_port: 5080, get: (n) => headers[n], on: () => undefined });
  const res = (): SrfRes => ({ send: () => undefined });
  await h.invite(req('INVITE', { 'Call-ID': 'dr-log-1', To: '<sip:srs@x>', 'Content-Type': 'application/sdp' }, sdpOffer([{ port: 40000, label: '1' }])), res());
  h.bye(req('BYE', { 'Call-ID': 'dr-log-1', To: '<sip:srs@x>;tag=a' }), res());
  await h.invite(req('INVITE', { 'Call-ID': 'dr-log-2', To: '<sip:srs@x>', 'Content-Type': 'application/sdp' }, 'v=0\r\nbroken'), res());
  trace.flush();
  const rows = store.repos.sipLog.ofDialog('dr-log-1');
  t.same(rows.map((r) => `${r.dir} ${r.status ?? '-'} ${r.method} ${r.transport} ${r.peer}`), ['in - INVITE drachtio 127.0.0.1:5080', 'out 200 INVITE drachtio 127.0.0.1:5080', 'in - BYE drachtio 127.0.0.1:5080', 'out 200 BYE drachtio 127.0.0.1:5080']);
  t.ok(started.length === 1 && rows.every((r) => r.callId === started[0]), 'linked to the call');
  const bad = store.repos.sipLog.ofDialog('dr-log-2');
  t.equal(bad[1].status, 488);
  t.equal(bad[1].reason, 'Not Acceptable Here; sdp-no-media', 'rejection reason logged');
});
