import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { importFile } from '../../../src/ingest/import/index.js';
import { joined, rig } from './rig.js';

// pcap/pcapng import of SIP + RTP. The speech port is a fake (see rig.ts); the capture is real.

/** Goertzel power of `f` Hz in 8 kHz samples, relative to total power. */
function toneShare(x: Int16Array, f: number): number {
  const k = 2 * Math.cos((2 * Math.PI * f) / 8000);
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (const v of x) {
    const s0 = v + k * s1 - s2;
    s2 = s1;
    s1 = s0;
    total += v * v;
  }
  return total ? (s1 * s1 + s2 * s2 - k * s1 * s2) / ((total * x.length) / 2) : 0;
}

t.test('pcap of two overlapping SIP calls (sipp + tcpdump on lo) → two calls, legs paired via SDP', async (t) => {
  // test/fixtures/audio/make-capture.mjs made this capture: callers send 440 Hz, callees 1000 Hz.
  const file = new URL('../../fixtures/audio/two-calls.pcap', import.meta.url).pathname;
  const r = rig();
  const res = await importFile(r.deps, file);
  t.equal(res.calls?.length, 2, 'two calls');
  t.equal(res.duplicate, false);
  t.same(r.legs.map((l) => [l.role, l.label, l.codec]), [
    ['customer', 'caller', 'pcmu'], ['agent', 'callee', 'pcmu'],
    ['customer', 'caller', 'pcmu'], ['agent', 'callee', 'pcmu'],
  ]);
  for (const leg of r.legs) {
    const pcm = joined(r.audio.get(leg.legId)!);
    const [mine, other] = leg.label === 'caller' ? [440, 1000] : [1000, 440];
    t.ok(toneShare(pcm, mine) > 0.2, `${leg.label} leg carries its own tone`);
    t.ok(toneShare(pcm, other) < 0.01, `${leg.label} leg does not carry the other side`);
    t.ok(pcm.length >= 16000 && pcm.length < 8000 * 4, `${leg.label} leg is about 2 s long (${pcm.length} samples)`);
  }
  t.same(r.order.filter((o) => o.startsWith('ended')), ['ended:ended', 'ended:ended']);
  const again = await importFile(r.deps, file);
  t.same(again.calls?.map((c) => c.duplicate), [true, true], 'a capture imported twice adds nothing');
});

t.test('a capture without SIP calls is refused clearly', async (t) => {
  const file = join(t.testdir(), 'empty.pcap');
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16);
  hdr.writeUInt32LE(1, 20);
  writeFileSync(file, hdr);
  const r = rig();
  await t.rejects(importFile(r.deps, file), { code: 'EARSHOT_ERR_IMPORT_FORMAT', reason: 'no-calls' });
});


/** Rewrites a classic pcap as pcapng (SHB, one IDB with nanosecond if_tsresol, EPBs), from the pcapng spec. */
function toPcapng(pcap: Buffer): Buffer {
  const block = (type: number, body: Buffer) => {
    const pad = Buffer.alloc((4 - (body.length % 4)) % 4);
    const len = 12 + body.length + pad.length;
    const b = Buffer.alloc(8);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(len, 4);
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(len, 0);
    return Buffer.concat([b, body, pad, tail]);
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const idb = Buffer.alloc(8 + 8 + 4);
  idb.writeUInt16LE(pcap.readUInt32LE(20), 0);
  idb.writeUInt32LE(65535, 4);
  idb.writeUInt16LE(9, 8); // if_tsresol
  idb.writeUInt16LE(1, 10);
  idb[12] = 9; // 10^-9 s
  const blocks = [block(0x0a0d0d0a, shb), block(1, idb)];
  for (let pos = 24; pos + 16 <= pcap.length; ) {
    const len = pcap.readUInt32LE(pos + 8);
    const ns = BigInt(pcap.readUInt32LE(pos)) * 1_000_000_000n + BigInt(pcap.readUInt32LE(pos + 4)) * 1000n;
    const epb = Buffer.alloc(20);
    epb.writeUInt32LE(Number(ns >> 32n), 4);
    epb.writeUInt32LE(Number(ns & 0xffffffffn), 8);
    epb.writeUInt32LE(len, 12);
    epb.writeUInt32LE(len, 16);
    blocks.push(block(6, Buffer.concat([epb, pcap.subarray(pos + 16, pos + 16 + len)])));
    pos += 16 + len;
  }
  return Buffer.concat(blocks);
}

t.test('the same capture as pcapng (nanosecond timestamps) gives the same two calls', async (t) => {
  const src = readFileSync(new URL('../../fixtures/audio/two-calls.pcap', import.meta.url));
  const file = join(t.testdir(), 'two-calls.pcapng');
  writeFileSync(file, toPcapng(src));
  const r = rig();
  const res = await importFile(r.deps, file);
  t.equal(res.calls?.length, 2);
  t.equal(r.legs.length, 4);
  for (const leg of r.legs) {
    const pcm = joined(r.audio.get(leg.legId)!);
    t.ok(toneShare(pcm, leg.label === 'caller' ? 440 : 1000) > 0.2, `${leg.label} leg carries its own tone`);
  }
});

t.test('leg.stats from the capture: packets, loss and duplicates per leg', async (t) => {
  const src = readFileSync(new URL('../../fixtures/audio/two-calls.pcap', import.meta.url));
  // Drop three of the first caller's RTP packets (to the callee's port 7000) and repeat one.
  const recs: Buffer[] = [src.subarray(0, 24)];
  let n = 0;
  for (let pos = 24; pos + 16 <= src.length; ) {
    const len = src.readUInt32LE(pos + 8);
    const rec = src.subarray(pos, pos + 16 + len);
    const toCallee = len > 40 && src.readUInt16BE(pos + 16 + 14 + 20 + 2) === 7000;
    const i = toCallee ? n++ : -1;
    if (i !== 10 && i !== 11 && i !== 12) recs.push(rec);
    if (i === 20) recs.push(rec);
    pos += 16 + len;
  }
  const file = join(t.testdir(), 'lossy.pcap');
  writeFileSync(file, Buffer.concat(recs));
  const r = rig();
  const stats = new Map<string, Record<string, number>>();
  r.deps.bus.on('leg.stats', (s) => stats.set(s.legId, s.stats as Record<string, number>));
  await importFile(r.deps, file);
  t.equal(n, 100, 'the fixture has 100 packets from the first caller');
  const [caller1, callee1, caller2] = r.legs.map((l) => stats.get(l.legId)!);
  t.match(caller1, { packets: 98, lost: 3, duplicates: 1 });
  t.match(callee1, { packets: 100, lost: 0, duplicates: 0 });
  t.match(caller2, { packets: 100, lost: 0, duplicates: 0 });
  t.ok(caller1.jitterMs >= 0 && caller1.jitterMs < 20, `jitter on loopback is small (${caller1.jitterMs} ms)`);
});

t.test('RFC 4733 key presses in the capture become dtmf call events without the digit', async (t) => {
  const src = readFileSync(new URL('../../fixtures/audio/two-calls.pcap', import.meta.url));
  const recs: Buffer[] = [src.subarray(0, 24)];
  let n = 0;
  for (let pos = 24; pos + 16 <= src.length; ) {
    const len = src.readUInt32LE(pos + 8);
    const rec = src.subarray(pos, pos + 16 + len);
    recs.push(rec);
    if (len > 40 && src.readUInt16BE(pos + 16 + 14 + 20 + 2) === 7000 && n++ === 50) {
      // One key press ("7") as a sender emits it: three updates and three end packets, one timestamp.
      for (let k = 0; k < 6; k++) {
        const ev = Buffer.from(rec);
        const rtp = 16 + 14 + 20 + 8;
        ev[rtp + 1] = 101;
        ev.writeUInt16BE(60000 + k, rtp + 2);
        ev.writeUInt32BE(123456, rtp + 4);
        ev.writeUInt32BE(0x0707a000 | (k >= 3 ? 0x00800000 : 0) | (k * 160), rtp + 12);
        recs.push(ev);
      }
    }
    pos += 16 + len;
  }
  const file = join(t.testdir(), 'dtmf.pcap');
  writeFileSync(file, Buffer.concat(recs));
  const r = rig();
  const events: { legId?: string; kind: string; tMs: number; data?: unknown }[] = [];
  r.deps.bus.on('call.event', (e) => events.push(e));
  await importFile(r.deps, file);
  t.equal(events.length, 1, 'one key press, one event');
  t.equal(events[0].kind, 'dtmf');
  t.equal(events[0].legId, r.legs[0].legId, 'on the first caller leg');
  t.ok(events[0].tMs > 900 && events[0].tMs < 1500, `about 1 s into the call (${events[0].tMs} ms)`);
  t.equal(events[0].data, undefined, 'no digit carried');
});
