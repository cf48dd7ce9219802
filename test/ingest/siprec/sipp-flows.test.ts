// Short flows against a real SRC (sipp): OPTIONS keep-alive, call limit → 503 + Retry-After,
// nothing decodable → 488. sipp exits 0 only when the expected response came.
import t from 'tap';
import { freePort, runSipp } from '../../fixtures/sipp/harness.js';
import { metricValue, startIngest } from './helpers.js';

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
