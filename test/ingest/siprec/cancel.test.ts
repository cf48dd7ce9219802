// A CANCELled SIPREC recording leaves nothing in the store: no call row, no 'interrupted' call
// counted by KPIs. If the answer won the race (the CANCEL crossed our 200), the recording is an
// ordinary call the SRC then ends with BYE. Real UDP sockets, a real SQLite file, real sipp.
import t, { type Test } from 'tap';
import pino from 'pino';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import { createMetrics, type Metrics } from '../../../src/metrics/registry.js';
import { connectStore, openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { createSiprecIngest, type SiprecIngest } from '../../../src/ingest/siprec/index.js';
import { cancelScenario, runCancelCall } from '../../../bench/load/sipp-cancel.js';
import { freePort } from '../../fixtures/sipp/harness.js';
import { request, sdpOffer, UdpClient } from '../sip/client.js';
import { metricValue, testConfig, waitFor } from './helpers.js';
import { dbOf } from '../../helpers/db.js';

interface Rig {
  ingest: SiprecIngest;
  store: Store;
  calls: CallRegistry;
  metrics: Metrics;
  started: string[];
  ended: { callId: string; state: string }[];
  port: number;
}

async function rig(t: Test): Promise<Rig> {
  const config = testConfig();
  const bus = new PipelineBus();
  const calls = new CallRegistry(bus, 10);
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: `${t.testdir()}/earshot.db`, metrics });
  connectStore(store, bus);
  const r: Rig = { ingest: undefined as unknown as SiprecIngest, store, calls, metrics, started: [], ended: [], port: 0 };
  bus.on('call.started', (c) => r.started.push(c.callId));
  bus.on('call.ended', (e) => r.ended.push(e));
  r.ingest = await createSiprecIngest({ config, log: pino({ level: 'silent' }), bus, calls, metrics });
  r.port = r.ingest.address().udp;
  t.teardown(async () => {
    await r.ingest.close();
    store.close();
  });
  return r;
}

const rows = (s: Store) => {
  s.flush();
  return dbOf(s).prepare('SELECT state, (SELECT count(*) FROM legs WHERE call_id = calls.id) AS legs FROM calls').all() as { state: string; legs: number }[];
};
const tagOf = (h: string | undefined) => /;tag=([^;>\s]+)/.exec(h ?? '')?.[1];

t.test('CANCEL before the answer: 487, no call opened, nothing stored', async (t) => {
  const r = await rig(t);
  const c = await UdpClient.open(t, r.port);
  const branch = 'z9hG4bKcx-store';
  // Sent back to back, with an Opus stream: building its (wasm) decoder takes long enough for the
  // CANCEL to be read before the offer is answered.
  const opus = ['a=rtpmap:111 opus/48000/2'];
  c.send(request({ callId: 'cx-store', port: r.port, localPort: c.localPort, branch, contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1', pts: '111', rtpmap: opus }, { port: 40002, label: '2', pts: '111', rtpmap: opus }]) }));
  c.send(request({ method: 'CANCEL', callId: 'cx-store', port: r.port, localPort: c.localPort, branch, contentType: '', body: '' }));
  t.equal((await c.wait((m) => m.headers.cseq === '1 CANCEL'))?.status, 200, 'CANCEL answered 200');
  const fin = await c.wait((m) => m.headers.cseq === '1 INVITE' && m.status >= 200);
  t.equal(fin?.status, 487, 'INVITE answered 487 Request Terminated');
  c.send(request({ method: 'ACK', callId: 'cx-store', port: r.port, localPort: c.localPort, branch, toTag: tagOf(fin?.headers.to), contentType: '', body: '' }));
  t.same(r.started, [], 'no call.started: the call never existed for the pipeline');
  t.same(r.ended, [], 'and so no call.ended');
  t.equal(r.calls.size, 0);
  t.same(rows(r.store), [], 'no call row (no interrupted call in KPIs)');
  t.equal(await metricValue(r.metrics, 'earshot_siprec_cancelled_total'), 1, 'counted as cancelled');
  t.equal(await metricValue(r.metrics, 'earshot_siprec_sessions'), 0);
});

t.test('CANCEL crossing our 200: the recording stands, the CANCEL’s 200 carries the dialog tag, BYE ends it', async (t) => {
  const r = await rig(t);
  const c = await UdpClient.open(t, r.port);
  const branch = 'z9hG4bKcx-late';
  const ok = await c.request(request({ callId: 'cx-late', port: r.port, localPort: c.localPort, branch, contentType: 'application/sdp', body: sdpOffer([{ port: 40000, label: '1' }]) }), '1 INVITE');
  t.equal(ok?.status, 200);
  const cancel = await c.request(request({ method: 'CANCEL', callId: 'cx-late', port: r.port, localPort: c.localPort, branch, contentType: '', body: '' }), '1 CANCEL');
  t.equal(cancel?.status, 200, 'CANCEL after the answer: 200, no effect');
  t.equal(tagOf(cancel?.headers.to), tagOf(ok?.headers.to), 'same To tag as the INVITE’s 200 (RFC 3261 §9.2)');
  c.send(request({ method: 'ACK', callId: 'cx-late', port: r.port, localPort: c.localPort, toTag: tagOf(ok?.headers.to), contentType: '', body: '' }));
  t.equal(r.calls.size, 1, 'the recording goes on');
  const bye = await c.request(request({ method: 'BYE', callId: 'cx-late', cseq: 2, port: r.port, localPort: c.localPort, toTag: tagOf(ok?.headers.to), contentType: '', body: '' }), '2 BYE');
  t.equal(bye?.status, 200);
  t.ok(await waitFor(() => r.ended.length === 1));
  t.same(rows(r.store), [{ state: 'ended', legs: 1 }], 'an ordinary ended call');
  t.equal(await metricValue(r.metrics, 'earshot_siprec_cancelled_total'), 0);
});

t.test('sipp SRC: CANCEL scenario passes whichever way the SRS answers; the store matches the outcome', { timeout: 90_000 }, async (t) => {
  const r = await rig(t);
  const dir = t.testdir();
  t.match(cancelScenario({ cancelAfterMs: 0 }), /CSeq: 1 CANCEL/);
  const target = `127.0.0.1:${r.port}`;
  const runs = [];
  // Opus, at once: our answer waits for the Opus decoder, the CANCEL wins: 487. PCMU, at once: our
  // answer is usually out before sipp's CANCEL (after the 100) arrives, either way is fine.
  // 1500 ms: our 200 comes first and the CANCEL crosses it; the SRC must ACK and BYE.
  const plans = [{ cancelAfterMs: 0, opus: true }, { cancelAfterMs: 0 }, { cancelAfterMs: 1500 }];
  for (const [i, plan] of plans.entries()) {
    const res = await runCancelCall(dir, `cancel${i}`, target, { sip: await freePort(), media: await freePort(4) }, { ...plan, holdMs: 300 });
    t.equal(res.code, 0, `sipp CANCEL call ${i} (${JSON.stringify(plan)}) passed`, { stderr: res.stderr.slice(-600) });
    t.ok(res.outcome, `outcome reported: ${res.outcome}`);
    runs.push(res);
  }
  t.equal(runs[0].outcome, 'rejected-487', 'a CANCEL sent while the offer is being answered wins: 487');
  t.equal(runs[2].outcome, 'answered-200', 'an answer given before the CANCEL stands');
  const answered = runs.filter((x) => x.outcome === 'answered-200').length;
  const rejected = runs.filter((x) => x.outcome === 'rejected-487').length;
  t.ok(await waitFor(() => r.ended.length === answered && r.calls.size === 0, 5000), 'answered ones ended by BYE');
  t.same(rows(r.store), Array(answered).fill({ state: 'ended', legs: 2 }), `${answered} answered → ended calls; ${rejected} cancelled → no row`);
  t.equal(r.started.length, answered);
  t.equal(await metricValue(r.metrics, 'earshot_siprec_cancelled_total'), rejected);
  t.equal(await metricValue(r.metrics, 'earshot_sip_responses_total', { code: '487' }), rejected);
});
