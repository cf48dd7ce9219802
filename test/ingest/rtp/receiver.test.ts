// Symmetric-RTP latching on real UDP sockets: RTP sent from 127.0.0.2 / 127.0.0.3 to a leg whose
// SDP says 127.0.0.1. The stream is a recorder (what reaches it is what the leg would decode).
import t from 'tap';
import dgram from 'node:dgram';
import { buildRtp } from '../../../src/ingest/rtp/packet.js';
import { PortPool } from '../../../src/ingest/rtp/port-pool.js';
import { RtpReceiver, type LatchPolicy } from '../../../src/ingest/rtp/receiver.js';
import type { RtpStream } from '../../../src/ingest/rtp/stream.js';

async function setup(t: { teardown(fn: () => void): void }, latch: LatchPolicy, clock = { now: 0 }) {
  const base = 40000 + 2 * Math.floor(Math.random() * 5000);
  const pool = new PortPool(base, base + 20, '127.0.0.1');
  const [pair] = await pool.allocate(1);
  const pushed: Buffer[] = [];
  const counts = { foreign: 0, latched: 0 };
  const stream = { push: (b: Buffer) => pushed.push(b) } as unknown as RtpStream;
  const rx = new RtpReceiver(pair, stream, '127.0.0.1', { foreign: () => counts.foreign++, rtcp: () => {}, latched: () => counts.latched++ }, () => clock.now, latch);
  const socks: dgram.Socket[] = [];
  t.teardown(() => {
    pool.release(pair);
    for (const s of socks) s.close();
  });
  const from = async (addr: string) => {
    const s = dgram.createSocket('udp4');
    socks.push(s);
    await new Promise<void>((r) => s.bind(0, addr, () => r()));
    return s;
  };
  const total = () => pushed.length + counts.foreign;
  const send = async (s: dgram.Socket, pt: number, seq: number) => {
    const before = total();
    s.send(buildRtp({ payloadType: pt, seq, timestamp: seq * 160, ssrc: 1, payload: Buffer.alloc(160, 0xff) }), pair.port, '127.0.0.1');
    // Wait for this datagram's outcome (pushed or counted), not a fixed time.
    while (total() === before) await new Promise((r) => setImmediate(r));
  };
  return { rx, pushed, counts, from, send };
}

const admitsTwo = (a: string) => a === '127.0.0.1' || a === '127.0.0.2';

t.test('latch: a source other than the SDP address is latched (once, counted); no second source', async (t) => {
  const h = await setup(t, { mode: 'latch', windowMs: 2000, admits: admitsTwo, payloadTypes: new Set([0]) });
  const two = await h.from('127.0.0.2');
  await h.send(two, 8, 1);
  t.equal(h.pushed.length, 0, 'un-negotiated payload type does not latch');
  await h.send(two, 0, 2);
  await h.send(two, 0, 3);
  t.equal(h.pushed.length, 2, 'latched source recorded');
  t.equal(h.counts.latched, 1, 'latch counted once');
  const one = await h.from('127.0.0.1');
  await h.send(one, 0, 4);
  t.equal(h.pushed.length, 2, 'even the SDP address is refused after latching elsewhere');
  t.equal(h.counts.foreign, 2);
});

t.test('latch: a source outside sip.allow, or after the window, is refused', async (t) => {
  const clock = { now: 1000 };
  const h = await setup(t, { mode: 'latch', windowMs: 2000, admits: admitsTwo, payloadTypes: new Set([0]) }, clock);
  await h.send(await h.from('127.0.0.3'), 0, 1);
  t.equal(h.pushed.length, 0, 'not in sip.allow');
  clock.now = 3001;
  await h.send(await h.from('127.0.0.2'), 0, 2);
  t.equal(h.pushed.length, 0, 'past the window after the first packet');
  t.equal(h.counts.latched, 0);
  await h.send(await h.from('127.0.0.1'), 0, 3);
  t.equal(h.pushed.length, 1, 'the SDP address is still taken');
});

t.test('strict: another source is refused and counted', async (t) => {
  const h = await setup(t, { mode: 'strict', windowMs: 2000, admits: admitsTwo, payloadTypes: new Set([0]) });
  const two = await h.from('127.0.0.2');
  await h.send(two, 0, 1);
  await h.send(two, 0, 2);
  t.equal(h.pushed.length, 0);
  t.equal(h.counts.foreign, 2);
  t.equal(h.counts.latched, 0);
});
