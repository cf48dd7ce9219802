// Delayed offer with a real SRC: sipp sends a SIPREC INVITE with rs-metadata and no SDP (Cisco
// CUBE's default), checks our 200 carries a recvonly offer, answers in the ACK and sends both legs'
// RTP; both legs must be recorded sample-exact, roles from the metadata.
import t from 'tap';
import path from 'node:path';
import { freePort, legPackets, runSipp, speechUlaw, writePcap } from '../../fixtures/sipp/harness.js';
import { legPcm, metricValue, startIngest, waitFor } from './helpers.js';

t.test('INVITE without SDP: our offer in the 200, the answer in the ACK, both legs recorded', async (t) => {
  const dir = t.testdir();
  const agent = speechUlaw(dir, 'agent', 'Thank you for calling, this is the agent.', 'kal');
  const customer = speechUlaw(dir, 'customer', 'Hello, my card was declined.', 'slt');
  const pcapFile = path.join(dir, 'two-leg.pcap');
  const pkts = [...legPackets(agent.ulaw, { ssrc: 0x1111, srcPort: 7000, dstPort: 9000, t0: 1 }), ...legPackets(customer.ulaw, { ssrc: 0x2222, srcPort: 7002, dstPort: 9002, t0: 1.001 })].sort((a, b) => a.t - b.t);
  writePcap(pcapFile, pkts);
  const h = await startIngest(t);
  const sippPort = await freePort();
  const mediaPort = await freePort(4);
  const durMs = Math.ceil((Math.max(agent.ulaw.length, customer.ulaw.length) / 8000) * 1000) + 800;
  const run = await runSipp(t, dir, 'uac-siprec-delayed-offer-expect-200.xml', { PCAP: pcapFile, PAUSE: String(durMs) }, `127.0.0.1:${h.ingest.address().udp}`, ['-p', String(sippPort), '-mp', String(mediaPort)]);
  t.equal(run.code, 0, `sipp succeeded (offer checked by its regexps): ${run.stderr.slice(-500)}`);
  t.ok(await waitFor(() => h.ended.length === 1), 'BYE ended the call');
  t.equal(h.legs.length, 2, 'both legs recorded');
  const byLabel = new Map(h.legs.map((l) => [l.label, l]));
  t.equal(byLabel.get('1')?.role, 'agent');
  t.equal(byLabel.get('2')?.role, 'customer');
  for (const [label, src] of [['1', agent], ['2', customer]] as const) {
    const got = legPcm(h, byLabel.get(label)!.legId);
    let mismatches = 0;
    for (let i = 0; i < src.pcm.length; i++) if (got[i] !== src.pcm[i]) mismatches++;
    t.ok(got.length >= src.pcm.length, `leg ${label}: all audio delivered`);
    t.equal(mismatches, 0, `leg ${label}: sample-exact`);
  }
  t.equal(await metricValue(h.metrics, 'earshot_bad_input_total', { reason: 'missing' }), 0, 'no SDP is no longer refused');
  t.equal(await metricValue(h.metrics, 'earshot_siprec_sessions', { ingest: 'siprec' }), 0);
});
