// HEP v3 export: the encoder's bytes against the HEP3 specification's layout (checked field by
// field here, not through our own decoder), and a real capture: a loopback UDP socket stands in for
// Homer and receives the HEP copy of a sipp INVITE, whose payload, Call-ID and addresses we parse.
import t from 'tap';
import dgram from 'node:dgram';
import { decodeHep3, encodeHep3, HEP_CHUNK, HepSender } from '../../../src/ingest/sip/hep.js';
import { freePort, runSipp } from '../../fixtures/sipp/harness.js';
import { metricValue, startIngest, waitFor } from '../siprec/helpers.js';

/** The chunks of a HEP3 packet, walked by the spec's layout: "HEP3", total length, then (vendor, type, length incl. header, value). */
function walk(buf: Buffer): { total: number; chunks: { vendor: number; type: number; value: Buffer }[] } {
  const chunks = [];
  for (let at = 6; at < buf.length; ) {
    const len = buf.readUInt16BE(at + 4);
    chunks.push({ vendor: buf.readUInt16BE(at), type: buf.readUInt16BE(at + 2), value: buf.subarray(at + 6, at + len) });
    at += len;
  }
  return { total: buf.readUInt16BE(4), chunks };
}

t.test('encoder: header, chunk layout and values as the HEP3 specification lays them out', async (t) => {
  const payload = Buffer.from('OPTIONS sip:srs@10.1.2.3 SIP/2.0\r\nCall-ID: abc@x\r\n\r\n');
  const pkt = encodeHep3({ srcIp: '10.1.2.3', srcPort: 5062, dstIp: '192.0.2.7', dstPort: 5060, transport: 'udp', timeMs: 1_700_000_000_123, captureId: 2001, password: 'secret', correlationId: 'abc@x', payload });
  t.equal(pkt.toString('latin1', 0, 4), 'HEP3');
  const { total, chunks } = walk(pkt);
  t.equal(total, pkt.length, 'the header length is the whole packet');
  t.ok(chunks.every((c) => c.vendor === 0), 'generic vendor 0x0000');
  const by = new Map(chunks.map((c) => [c.type, c.value]));
  t.same([...by.get(0x01)!], [2], 'IP family: IPv4 = 2');
  t.same([...by.get(0x02)!], [17], 'IP protocol: UDP = 17');
  t.same([...by.get(0x03)!], [10, 1, 2, 3], 'IPv4 source');
  t.same([...by.get(0x04)!], [192, 0, 2, 7], 'IPv4 destination');
  t.equal(by.get(0x07)!.readUInt16BE(0), 5062);
  t.equal(by.get(0x08)!.readUInt16BE(0), 5060);
  t.equal(by.get(0x09)!.readUInt32BE(0), 1_700_000_000);
  t.equal(by.get(0x0a)!.readUInt32BE(0), 123_000, 'microseconds');
  t.same([...by.get(0x0b)!], [1], 'protocol type SIP = 1');
  t.equal(by.get(0x0c)!.readUInt32BE(0), 2001, 'capture agent id');
  t.equal(by.get(0x0e)!.toString(), 'secret', 'auth key');
  t.equal(by.get(0x11)!.toString(), 'abc@x', 'correlation id');
  t.same(by.get(0x0f), payload, 'payload as sent');
  // Our decoder reads the same.
  const d = decodeHep3(pkt);
  t.match(d, { srcIp: '10.1.2.3', dstIp: '192.0.2.7', srcPort: 5062, dstPort: 5060, transport: 'udp', captureId: 2001, correlationId: 'abc@x', password: 'secret' });
  t.equal(d.timeMs, 1_700_000_000_123);
});

t.test('IPv6 and mixed families; TCP; decoder refuses broken packets', async (t) => {
  const pkt = encodeHep3({ srcIp: '2001:db8::1', srcPort: 5060, dstIp: '127.0.0.1', dstPort: 5061, transport: 'tcp', timeMs: 0, captureId: 1, payload: Buffer.from('x') });
  const by = new Map(walk(pkt).chunks.map((c) => [c.type, c.value]));
  t.same([...by.get(HEP_CHUNK.ipFamily)!], [10]);
  t.same([...by.get(HEP_CHUNK.ipProto)!], [6]);
  t.equal(by.get(HEP_CHUNK.srcIp6)!.toString('hex'), '20010db8000000000000000000000001');
  t.equal(by.get(HEP_CHUNK.dstIp6)!.toString('hex'), '00000000000000000000ffff7f000001', 'IPv4 side as IPv4-mapped');
  t.equal(decodeHep3(pkt).srcIp, '2001:db8:0:0:0:0:0:1');
  t.throws(() => decodeHep3(Buffer.from('HEP2\x00\x06')), { code: 'EARSHOT_ERR_BAD_INPUT' });
  t.throws(() => decodeHep3(pkt.subarray(0, pkt.length - 3)), { code: 'EARSHOT_ERR_BAD_INPUT' }, 'length past the datagram');
  const bad = Buffer.from(pkt);
  bad.writeUInt16BE(3, 10); // first chunk's length below its own header
  t.throws(() => decodeHep3(bad), { code: 'EARSHOT_ERR_BAD_INPUT' });
  const noPayload = Buffer.concat([pkt.subarray(0, 6), pkt.subarray(6, 6 + 7)]);
  noPayload.writeUInt16BE(noPayload.length, 4);
  t.throws(() => decodeHep3(noPayload), /missing/);
  // A fixed-size chunk shorter than its type (found by the fuzzer: it read past the value).
  const rebuilt = (chunks: { type: number; value: Buffer }[]) => {
    const body = Buffer.concat(chunks.map(({ type, value }) => {
      const h = Buffer.alloc(6);
      h.writeUInt16BE(type, 2);
      h.writeUInt16BE(6 + value.length, 4);
      return Buffer.concat([h, value]);
    }));
    const head = Buffer.from('HEP3\0\0', 'latin1');
    head.writeUInt16BE(6 + body.length, 4);
    return Buffer.concat([head, body]);
  };
  const parts = walk(pkt).chunks;
  t.equal(decodeHep3(rebuilt(parts)).srcPort, 5060, 'the rebuilt packet decodes');
  t.throws(() => decodeHep3(rebuilt(parts.map((c) => (c.type === HEP_CHUNK.srcPort ? { ...c, value: Buffer.alloc(0) } : c)))), { code: 'EARSHOT_ERR_BAD_INPUT', message: /too short/ });
});

t.test('sip.hep: a sipp INVITE and our responses reach the capture socket as HEP v3', async (t) => {
  const homer = dgram.createSocket('udp4');
  await new Promise<void>((r) => homer.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => homer.close());
  const got: Buffer[] = [];
  homer.on('message', (m) => got.push(m));
  const h = await startIngest(t, (c) => {
    c.sip.hep = { enabled: true, address: '127.0.0.1', port: homer.address().port, id: 4242, password: 'homer-pass' };
  });
  const sipPort = h.ingest.address().udp;
  const sippPort = await freePort();
  const run = await runSipp(t, t.testdir(), 'uac-siprec-short-expect-200.xml', { PAUSE: '100' }, `127.0.0.1:${sipPort}`, ['-p', String(sippPort), '-mp', String(await freePort(4))]);
  t.equal(run.code, 0, run.stderr.slice(-300));
  t.ok(await waitFor(() => got.length >= 6), `six HEP packets (INVITE, 100, 200, ACK, BYE, 200): ${got.length}`);
  const pkts = got.map(decodeHep3);
  const invite = pkts.find((p) => p.payload.toString().startsWith('INVITE '))!;
  t.ok(invite, 'the INVITE was captured');
  const callId = /^Call-ID:\s*(.+)$/im.exec(invite.payload.toString())![1].trim();
  t.equal(invite.correlationId, callId, 'correlation id = the SIP Call-ID');
  t.match(invite, { srcIp: '127.0.0.1', srcPort: sippPort, dstIp: '127.0.0.1', dstPort: sipPort, transport: 'udp', captureId: 4242, password: 'homer-pass' });
  t.match(invite.payload.toString(), /m=audio \d+ RTP\/AVP 0/, 'the whole message, body included');
  const ok = pkts.find((p) => /^SIP\/2\.0 200 OK[\s\S]*CSeq: 1 INVITE/.test(p.payload.toString()))!;
  t.match(ok, { srcIp: '127.0.0.1', srcPort: sipPort, dstPort: sippPort, correlationId: callId }, 'our 200: from us to the SRC');
  t.ok(pkts.every((p) => p.correlationId === callId));
  t.equal(await metricValue(h.metrics, 'earshot_hep_errors_total'), 0);
});

t.test('HepSender: an oversized message is skipped and counted; an unreachable Homer never throws', async (t) => {
  const errors: string[] = [];
  const s = new HepSender({ address: '127.0.0.1', port: 9, id: 1 }, (r) => errors.push(r));
  s.send({ srcIp: '127.0.0.1', srcPort: 1, dstIp: '127.0.0.1', dstPort: 2, transport: 'udp', timeMs: Date.now(), payload: Buffer.alloc(70_000) });
  t.same(errors, ['oversized']);
  s.send({ srcIp: '127.0.0.1', srcPort: 1, dstIp: '127.0.0.1', dstPort: 2, transport: 'udp', timeMs: Date.now(), payload: Buffer.from('x') });
  await s.close();
  s.send({ srcIp: '127.0.0.1', srcPort: 1, dstIp: '127.0.0.1', dstPort: 2, transport: 'udp', timeMs: Date.now(), payload: Buffer.from('x') });
  t.pass('no throw after close');
});
