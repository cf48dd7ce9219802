// Delayed offer with a real SRC: sipp sends a SIPREC INVITE with rs-metadata and no SDP (Cisco
// CUBE's default), checks our 200 carries a recvonly offer, answers in the ACK and sends both legs'
// RTP; both legs must be recorded sample-exact, roles from the metadata.
import t from 'tap';
import { legPcm, metricValue, mismatches, sippTwoLegCall, waitFor } from './helpers.js';

t.test('INVITE without SDP: our offer in the 200, the answer in the ACK, both legs recorded', async (t) => {
  const { h, run, agent, customer } = await sippTwoLegCall(t, 'uac-siprec-delayed-offer-expect-200.xml', { agent: 'Thank you for calling, this is the agent.', customer: 'Hello, my card was declined.' });
  t.equal(run.code, 0, `sipp succeeded (offer checked by its regexps): ${run.stderr.slice(-500)}`);
  t.ok(await waitFor(() => h.ended.length === 1), 'BYE ended the call');
  t.equal(h.legs.length, 2, 'both legs recorded');
  const byLabel = new Map(h.legs.map((l) => [l.label, l]));
  t.equal(byLabel.get('1')?.role, 'agent');
  t.equal(byLabel.get('2')?.role, 'customer');
  for (const [label, src] of [['1', agent], ['2', customer]] as const) {
    const got = legPcm(h, byLabel.get(label)!.legId);
    t.ok(got.length >= src.pcm.length, `leg ${label}: all audio delivered`);
    t.equal(mismatches(got, src.pcm), 0, `leg ${label}: sample-exact`);
  }
  t.equal(await metricValue(h.metrics, 'earshot_bad_input_total', { reason: 'missing' }), 0, 'no SDP is no longer refused');
  t.equal(await metricValue(h.metrics, 'earshot_siprec_sessions', { ingest: 'siprec' }), 0);
});
