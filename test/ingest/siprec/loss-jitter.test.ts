// Network impairments replayed by a real SRC (sipp + pcap): dropped, reordered, duplicated and
// jittered packets on one leg. Stats must count them as RFC 3550 does and the audio timeline must
// stay true: every received packet's samples land at their own timestamp, gaps are filled.
import t from 'tap';
import path from 'node:path';
import { freePort, legPackets, runSipp, speechUlaw, writePcap, type PcapPacket } from '../../fixtures/sipp/harness.js';
import { legPcm, metricValue, startIngest, waitFor } from './helpers.js';

t.test('loss, reorder, duplicates and jitter on one leg', async (t) => {
  const dir = t.testdir();
  const a = speechUlaw(dir, 'a', 'One two three four five six seven eight nine ten eleven twelve.', 'kal');
  const b = speechUlaw(dir, 'b', 'A clean leg for comparison.', 'slt');
  const base = legPackets(a.ulaw, { ssrc: 0xaaaa, srcPort: 7000, dstPort: 9000, t0: 1 });
  const n = base.length;
  const dropped = new Set([20, 50, 51]);
  const impaired: PcapPacket[] = [];
  base.forEach((p, k) => {
    if (dropped.has(k)) return;
    // Alternate 0 / 10 ms extra delay: RFC 3550 jitter converges on 10 ms.
    impaired.push({ ...p, t: p.t + (k % 2 ? 0.01 : 0) });
    if (k === 100) impaired.push({ ...p, t: p.t + 0.001 }); // duplicate
  });
  // Reorder: 81 leaves before 80 (same instant).
  const i80 = impaired.findIndex((p) => p.payload.readUInt16BE(2) === 1080);
  const [p80, p81] = [impaired[i80], impaired[i80 + 1]];
  impaired[i80] = { ...p81, t: p80.t };
  impaired[i80 + 1] = { ...p80, t: p80.t };
  const pkts = [...impaired, ...legPackets(b.ulaw, { ssrc: 0xbbbb, srcPort: 7002, dstPort: 9002, t0: 1.002 })].sort((x, y) => x.t - y.t);
  const pcapFile = path.join(dir, 'impaired.pcap');
  writePcap(pcapFile, pkts);

  const h = await startIngest(t);
  const durMs = Math.ceil((n * 20) / 1000) * 1000 + 800;
  const run = await runSipp(t, dir, 'uac-siprec-two-leg-expect-200.xml', { PCAP: pcapFile, PAUSE: String(durMs) }, `127.0.0.1:${h.ingest.address().udp}`, ['-p', String(await freePort()), '-mp', String(await freePort(4))]);
  t.equal(run.code, 0, `sipp succeeded: ${run.stderr.slice(-300)}`);
  t.ok(await waitFor(() => h.ended.length === 1));
  const leg = h.legs.find((l) => l.label === '1')!;
  const s = h.stats.get(leg.legId)!;
  t.equal(s.packets, n - 3, 'received = sent − dropped (duplicate not counted twice)');
  t.equal(s.lost, 3, 'RFC 3550 cumulative loss');
  t.equal(s.duplicates, 1);
  t.equal(s.late, 0, 'one-packet reordering is undone inside the 60 ms jitter buffer');
  // 10 ms induced; the upper bound leaves room for scheduling noise on a loaded machine.
  t.ok(s.jitterMs! > 6 && s.jitterMs! < 30, `jitter near 10 ms (${s.jitterMs})`);
  t.ok(s.mos! < h.stats.get(h.legs.find((l) => l.label === '2')!.legId)!.mos!, 'impaired leg scores a lower MOS than the clean one');
  const got = legPcm(h, leg.legId);
  t.equal(got.length, n * 160, 'timeline kept: lost packets are filled, not skipped');
  let mismatches = 0;
  for (let k = 0; k < n; k++) {
    if (dropped.has(k)) continue;
    for (let i = 0; i < 160 && k * 160 + i < a.pcm.length; i++) if (got[k * 160 + i] !== a.pcm[k * 160 + i]) mismatches++;
  }
  t.equal(mismatches, 0, 'every received packet decoded at its own position');
  t.equal(await metricValue(h.metrics, 'earshot_rtp_lost_total'), 3);
});
