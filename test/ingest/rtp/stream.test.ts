// RtpStream with synthetic packets and arrival times: jitter buffer ordering, loss concealment,
// duplicates, late packets, sequence and timestamp wrap, SSRC change, RFC 4733 events, and the
// RFC 3550 jitter value for a known arrival pattern.
import t from 'tap';
import { createDecoder } from '../../../src/ingest/codecs/index.js';
import { buildRtp } from '../../../src/ingest/rtp/packet.js';
import { RtpStream } from '../../../src/ingest/rtp/stream.js';
import { estimateMos } from '../../../src/ingest/rtp/quality.js';

async function make(jitterMs = 60) {
  const out: { samples: Int16Array; tMs: number; rate: number }[] = [];
  const dtmf: { tMs: number; durationMs: number }[] = [];
  const rejects: string[] = [];
  const pcmu = await createDecoder({ name: 'PCMU', clockRate: 8000 });
  const s = new RtpStream(
    { decoders: new Map([[0, pcmu]]), events: new Map([[101, 8000]]) },
    { audio: (samples, rate, tMs) => out.push({ samples, rate, tMs }), dtmf: (tMs, durationMs) => dtmf.push({ tMs, durationMs }), reject: (p, r) => rejects.push(`${p}:${r}`) },
    jitterMs,
  );
  return { s, out, dtmf, rejects };
}

// µ-law byte k+1 decodes to a distinct value: each packet is recognisable by its first sample.
const pkt = (k: number, o: { seq0?: number; ts0?: number; ssrc?: number; pt?: number; payload?: Uint8Array } = {}) =>
  buildRtp({ payloadType: o.pt ?? 0, seq: ((o.seq0 ?? 0) + k) & 0xffff, timestamp: ((o.ts0 ?? 0) + k * 160) >>> 0, ssrc: o.ssrc ?? 1, payload: o.payload ?? new Uint8Array(160).fill((k % 100) + 1) });

t.test('reordering within the buffer depth is undone; a hole is concealed and counted', async (t) => {
  const { s, out } = await make(60);
  const order = [0, 1, 3, 2, 4, 5, 7, 8, 9, 10, 11, 12]; // 6 lost
  order.forEach((k, i) => s.push(pkt(k), i * 20));
  s.drain(true);
  t.equal(out.length, 13, 'one 20 ms frame per packet slot, including the lost one');
  t.same(out.map((f) => f.tMs), Array.from({ length: 13 }, (_, i) => i * 20));
  const first = (k: number) => out[k].samples[0];
  const ref = await make();
  ref.s.push(pkt(2), 0);
  ref.s.drain(true);
  t.equal(first(2), ref.out[0].samples[0], 'packet 2 played in its own slot');
  t.equal(s.quality.lost, 1);
  t.equal(s.quality.late, 0);
  t.not(first(6), 0, 'loss concealed from the previous frame, not silence');
});

t.test('duplicates and late packets', async (t) => {
  const { s } = await make(0);
  s.push(pkt(0), 0);
  s.push(pkt(0), 1);
  s.push(pkt(2), 40);
  s.push(pkt(1), 41); // after 2 was played with a zero-depth buffer
  t.equal(s.quality.duplicates, 1);
  t.equal(s.quality.late, 1);
  t.equal(s.quality.lost, 0, 'a late packet is received, not lost (RFC 3550)');
});

t.test('sequence and timestamp wrap', async (t) => {
  const { s, out } = await make(20);
  for (let k = 0; k < 10; k++) s.push(pkt(k, { seq0: 65530, ts0: 0xffffff00 }), k * 20);
  s.drain(true);
  t.equal(out.length, 10);
  t.same(out.map((f) => f.tMs), Array.from({ length: 10 }, (_, i) => i * 20));
  t.equal(s.quality.lost, 0);
  t.equal(s.quality.expected, 10);
});

t.test('SSRC change continues the timeline and restarts sequence accounting', async (t) => {
  const { s, out } = await make(20);
  for (let k = 0; k < 5; k++) s.push(pkt(k, { ssrc: 1, seq0: 100 }), k * 20);
  for (let k = 0; k < 5; k++) s.push(pkt(k, { ssrc: 2, seq0: 9000, ts0: 123456 }), 100 + k * 20);
  s.push(pkt(5, { ssrc: 1, seq0: 100 }), 300); // a straggler from the old source
  s.drain(true);
  t.equal(out.length, 10);
  t.same(out.map((f) => f.tMs), Array.from({ length: 10 }, (_, i) => i * 20));
  t.equal(s.quality.ssrcChanges, 1);
  t.equal(s.quality.lost, 0, 'no false loss across the change');
});

t.test('silence-suppression gap is filled with zeros to keep time', async (t) => {
  const { s, out } = await make(0);
  s.push(pkt(0), 0);
  s.push(buildRtp({ payloadType: 0, seq: 1, timestamp: 160 * 10, ssrc: 1, payload: new Uint8Array(160).fill(7) }), 200);
  s.drain(true);
  t.equal(out.length, 11);
  t.ok(out.slice(1, 10).every((f) => f.samples.every((v) => v === 0)), 'DTX gap is silence, not concealment');
  t.equal(out[10].tMs, 200);
});

t.test('RFC 4733 events: one call per event, no digit', async (t) => {
  const { s, dtmf } = await make(0);
  s.push(pkt(0), 0);
  const ev = (seq: number, end: boolean, dur: number) => buildRtp({ payloadType: 101, seq, timestamp: 160, ssrc: 1, payload: Uint8Array.from([5, end ? 0x80 | 10 : 10, dur >> 8, dur & 0xff]) });
  s.push(ev(1, false, 160), 20);
  s.push(ev(2, false, 320), 40);
  s.push(ev(3, true, 800), 60);
  s.push(ev(4, true, 800), 61);
  s.push(ev(5, true, 800), 62);
  s.push(pkt(6, { seq0: 0 }), 120);
  t.equal(dtmf.length, 1);
  t.equal(dtmf[0].durationMs, 100);
  t.same(Object.keys(dtmf[0]).sort(), ['durationMs', 'tMs']);
});

t.test('RFC 3550 jitter for a known pattern; MOS falls with loss', async (t) => {
  const { s } = await make(60);
  // Alternating 0 / 10 ms extra transit: |D| = 10 ms on every packet after the first.
  for (let k = 0; k < 200; k++) s.push(pkt(k), k * 20 + (k % 2 ? 10 : 0));
  let j = 0;
  for (let k = 1; k < 200; k++) j += (80 - j) / 16; // 10 ms = 80 clock units
  t.equal(Math.round(s.quality.jitterMs * 1000), Math.round((j / 8) * 1000));
  t.ok(estimateMos('PCMU', 0, 80) > 4.3);
  t.ok(estimateMos('PCMU', 5, 80) < estimateMos('PCMU', 1, 80));
  t.ok(estimateMos('PCMU', 100, 80) >= 1);
});

t.test('bad packets are rejected with reasons', async (t) => {
  const { s, rejects } = await make(0);
  s.push(Buffer.from([0x80]), 0);
  s.push(pkt(0, { pt: 96 }), 0);
  s.push(buildRtp({ payloadType: 101, seq: 1, timestamp: 0, ssrc: 1, payload: Uint8Array.from([1]) }), 0);
  t.same(rejects, ['rtp:short', 'rtp:unknown-payload-type', 'rtp:short-event']);
});

t.test('G.722: 8 kHz RTP clock, 16 kHz frames; a codec switch mid-stream keeps the timeline', async (t) => {
  const out: { n: number; rate: number; tMs: number }[] = [];
  const g722 = await createDecoder({ name: 'G722', clockRate: 8000 });
  const pcmu = await createDecoder({ name: 'PCMU', clockRate: 8000 });
  const s = new RtpStream(
    { decoders: new Map([[9, g722], [0, pcmu]]), events: new Map() },
    { audio: (samples, rate, tMs) => out.push({ n: samples.length, rate, tMs }), dtmf: () => {}, reject: () => {} },
    0,
  );
  for (let k = 0; k < 5; k++) s.push(pkt(k, { pt: 9 }), k * 20);
  for (let k = 5; k < 10; k++) s.push(pkt(k, { pt: 0 }), k * 20);
  s.drain(true);
  t.same(out.slice(0, 5).map((f) => [f.n, f.rate]), Array(5).fill([320, 16000]));
  t.same(out.slice(5).map((f) => [f.n, f.rate]), Array(5).fill([160, 8000]));
  t.same(out.map((f) => f.tMs), Array.from({ length: 10 }, (_, i) => i * 20));
});

t.test('fuzz: arbitrary datagrams never throw out of the stream', async (t) => {
  const fc = await import('fast-check');
  const { s } = await make(20);
  let n = 0;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (u, rtpish) => {
      if (rtpish && u.length > 0) u[0] = 0x80 | (u[0] & 0x3f);
      s.push(Buffer.from(u), n++ * 20);
    }),
    { numRuns: 5000 },
  );
  s.drain(true);
  t.pass('5000 datagrams, no exception');
});
