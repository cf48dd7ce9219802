// SIPREC with a real SRC: sipp sends a SIPREC INVITE (two labelled PCMU m-lines + rs-metadata)
// and replays a two-leg RTP pcap built here from flite speech; the ingest must map roles to the
// right streams, decode each leg bit-exactly against sox's decode, and end the call on BYE.
import t from 'tap';
import path from 'node:path';
import { freePort, legPackets, runSipp, speechUlaw, writePcap } from '../../fixtures/sipp/harness.js';
import { legPcm, metricValue, startIngest, waitFor } from './helpers.js';

t.test('two-leg SIPREC call: roles, audio, BYE', async (t) => {
  const dir = t.testdir();
  const agent = speechUlaw(dir, 'agent', 'Thank you for calling, this is the agent speaking.', 'kal');
  const customer = speechUlaw(dir, 'customer', 'Hello, I would like to cancel my order please.', 'slt');
  const pcapFile = path.join(dir, 'two-leg.pcap');
  // label 1 (agent) on the lower port, label 2 (customer) 2 above, as the SDP offers them.
  const pkts = [...legPackets(agent.ulaw, { ssrc: 0x1111, srcPort: 7000, dstPort: 9000, t0: 1 }), ...legPackets(customer.ulaw, { ssrc: 0x2222, srcPort: 7002, dstPort: 9002, t0: 1.001 })].sort((a, b) => a.t - b.t);
  writePcap(pcapFile, pkts);
  const h = await startIngest(t);
  const sippPort = await freePort();
  const mediaPort = await freePort(4);
  const durMs = Math.ceil((Math.max(agent.ulaw.length, customer.ulaw.length) / 8000) * 1000) + 800;
  const run = await runSipp(t, dir, 'uac-siprec-two-leg-expect-200.xml', { PCAP: pcapFile, PAUSE: String(durMs) }, `127.0.0.1:${h.ingest.address().udp}`, ['-p', String(sippPort), '-mp', String(mediaPort)]);
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
    let mismatches = 0;
    for (let i = 0; i < src.pcm.length; i++) if (got[i] !== src.pcm[i]) mismatches++;
    t.equal(mismatches, 0, `leg ${label}: decoded samples equal sox's decode of the same µ-law`);
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
