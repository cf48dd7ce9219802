// Short flows against a real SRC (sipp): OPTIONS keep-alive, call limit → 503 + Retry-After,
// nothing decodable → 488. sipp exits 0 only when the expected response came.
import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { freePort, runSipp } from '../../fixtures/sipp/harness.js';
import { metricValue, startIngest, waitFor } from './helpers.js';

const sippArgs = async () => ['-p', String(await freePort()), '-mp', String(await freePort(4))];

t.test('OPTIONS → 200', async (t) => {
  const h = await startIngest(t);
  const run = await runSipp(t, t.testdir(), 'uac-options-expect-200.xml', {}, `127.0.0.1:${h.ingest.address().udp}`, await sippArgs());
  t.equal(run.code, 0, run.stderr.slice(-300));
  t.equal(await metricValue(h.metrics, 'earshot_sip_requests_total', { method: 'OPTIONS' }), 1);
});

t.test('call limit → 503 with Retry-After', async (t) => {
  const h = await startIngest(t, undefined, 1);
  h.calls.open({ ingest: 'import', externalId: 'busy' }); // the one allowed call is taken
  const run = await runSipp(t, t.testdir(), 'uac-call-limit-expect-503.xml', {}, `127.0.0.1:${h.ingest.address().udp}`, await sippArgs());
  t.equal(run.code, 0, run.stderr.slice(-300));
  t.equal(await metricValue(h.metrics, 'earshot_sip_responses_total', { code: '503' }), 1);
  t.equal(h.calls.size, 1);
});

t.test('nothing decodable → 488', async (t) => {
  const h = await startIngest(t);
  const run = await runSipp(t, t.testdir(), 'uac-no-codec-expect-488.xml', {}, `127.0.0.1:${h.ingest.address().udp}`, await sippArgs());
  t.equal(run.code, 0, run.stderr.slice(-300));
  t.equal(await metricValue(h.metrics, 'earshot_bad_input_total', { parser: 'sdp', reason: 'no-codec' }), 1);
  t.equal(h.calls.size, 0);
});

t.test('Require with an extension we lack → 420 Bad Extension with Unsupported (embedded front)', async (t) => {
  const h = await startIngest(t);
  const run = await runSipp(t, t.testdir(), 'uac-siprec-require-expect-420.xml', { PAUSE: '0' }, `127.0.0.1:${h.ingest.address().udp}`, await sippArgs());
  t.equal(run.code, 0, `sipp saw 420 with Unsupported: 100rel: ${run.stderr.slice(-300)}`);
  t.equal(await metricValue(h.metrics, 'earshot_bad_input_total', { parser: 'sip', reason: 'bad-extension' }), 1);
  t.equal(await metricValue(h.metrics, 'earshot_sip_responses_total', { code: '420' }), 1);
  t.equal(h.legs.length, 0, 'nothing recorded');
  t.equal(h.calls.size, 0);
});

t.test('re-INVITE without SDP: our offer (same port, recvonly) in the 200, the answer in the ACK; the call goes on until BYE', async (t) => {
  const bodies: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n')) {
        const o = l ? (JSON.parse(l) as { msg?: string; sip?: string }) : {};
        if (o.msg === 'SIP out 200 INVITE (message)' && o.sip) bodies.push(o.sip);
      }
      cb();
    },
  }));
  const h = await startIngest(t, undefined, 10, {}, log);
  const run = await runSipp(t, t.testdir(), 'uac-siprec-reinvite-no-sdp-expect-200.xml', {}, `127.0.0.1:${h.ingest.address().udp}`, await sippArgs());
  t.equal(run.code, 0, `sipp checked the offer in the re-INVITE's 200: ${run.stderr.slice(-300)}`);
  t.ok(await waitFor(() => h.ended.length === 1), 'BYE ended the call');
  t.equal(bodies.length, 2, 'a 200 for the INVITE and one for the re-INVITE');
  const port = (b: string) => /^m=audio (\d+)/m.exec(b)?.[1];
  t.ok(port(bodies[0]), 'answer port');
  t.equal(port(bodies[1]), port(bodies[0]), 'our offer keeps the leg on its port');
  t.match(bodies[1], /^a=recvonly$/m);
  t.equal(h.legs.length, 1, 'the same leg, not a new one');
  t.equal(await metricValue(h.metrics, 'earshot_bad_input_total', { parser: 'sdp' }), 0, 'the ACK answer accepted');
  t.equal(await metricValue(h.metrics, 'earshot_siprec_sessions', { ingest: 'siprec' }), 0);
});

t.test('delayed offer whose ACK has no answer: the SRS sends BYE, nothing is recorded, ports go back', async (t) => {
  const h = await startIngest(t, (c) => {
    c.rtp.portMax = c.rtp.portMin + 3; // two pairs: a leak would show on the next call
  });
  for (let i = 0; i < 2; i++) {
    const run = await runSipp(t, t.testdir(), 'uac-siprec-ack-without-answer-expect-srs-bye.xml', {}, `127.0.0.1:${h.ingest.address().udp}`, await sippArgs());
    t.equal(run.code, 0, `call ${i + 1}: sipp got our BYE: ${run.stderr.slice(-300)}`);
  }
  t.equal(await metricValue(h.metrics, 'earshot_bad_input_total', { parser: 'sdp', reason: 'ack-without-answer' }), 2);
  t.equal(h.legs.length, 0, 'no leg, no call');
  t.equal(h.calls.size, 0);
});
