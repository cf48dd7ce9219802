// SIPREC with a real SRC: sipp sends a SIPREC INVITE (two labelled PCMU m-lines + rs-metadata)
// and replays a two-leg RTP pcap built here from flite speech; the ingest must map roles to the
// right streams, decode each leg bit-exactly against sox's decode, and end the call on BYE.
import t from 'tap';
import { legPcm, metricValue, mismatches, sippTwoLegCall, waitFor } from './helpers.js';

t.test('two-leg SIPREC call: roles, audio, BYE', async (t) => {
  const { h, run, agent, customer } = await sippTwoLegCall(t, 'uac-siprec-two-leg-expect-200.xml', { agent: 'Thank you for calling, this is the agent speaking.', customer: 'Hello, I would like to cancel my order please.' });
  t.equal(run.code, 0, `sipp succeeded: ${run.stderr.slice(-500)}`);
  t.ok(await waitFor(() => h.ended.length === 1), 'BYE ended the call');
  t.equal(h.calls.size, 0);
  t.equal(h.legs.length, 2);
  const byLabel = new Map(h.legs.map((l) => [l.label, l]));
  t.equal(byLabel.get('1')?.role, 'agent', 'label 1 sent by the internal extension → agent');
  t.equal(byLabel.get('2')?.role, 'customer', 'label 2 sent by the external party → customer');
  t.equal(byLabel.get('2')?.participant?.aor, 'sip:+15550001111@carrier.example');
  t.equal(byLabel.get('1')?.codec, 'PCMU');
  for (const [label, src] of [['1', agent], ['2', customer]] as const) {
    const got = legPcm(h, byLabel.get(label)!.legId);
    t.ok(got.length >= src.pcm.length, `leg ${label}: all audio delivered (${got.length} ≥ ${src.pcm.length})`);
    t.equal(mismatches(got, src.pcm), 0, `leg ${label}: decoded samples equal sox's decode of the same µ-law`);
    const chunks = h.audio.get(byLabel.get(label)!.legId)!;
    t.ok(chunks.every((c) => c.sampleRate === 8000 && c.samples.length === 160), 'every chunk is 20 ms at 8 kHz');
    const stats = h.stats.get(byLabel.get(label)!.legId);
    t.equal(stats?.lost, 0, `leg ${label}: no loss`);
    t.equal(stats?.packets, Math.ceil(src.ulaw.length / 160));
    t.ok((stats?.mos ?? 0) > 4, 'clean leg scores MOS > 4');
  }
  t.equal(await metricValue(h.metrics, 'earshot_sip_requests_total', { method: 'INVITE' }), 1);
  t.equal(await metricValue(h.metrics, 'earshot_sip_responses_total', { code: '200' }), 2, '200 to INVITE and to BYE');
  t.equal(await metricValue(h.metrics, 'earshot_siprec_sessions', { ingest: 'siprec' }), 0);
});
