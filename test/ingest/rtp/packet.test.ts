import t from 'tap';
import { buildRtp, parseRtp } from '../../../src/ingest/rtp/packet.js';

const payload = Uint8Array.from([1, 2, 3, 4, 5]);

t.test('plain header', async (t) => {
  const p = parseRtp(buildRtp({ payloadType: 0, seq: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, marker: true, payload }));
  t.same({ pt: p.payloadType, m: p.marker, seq: p.seq, ts: p.timestamp, ssrc: p.ssrc }, { pt: 0, m: true, seq: 65535, ts: 0xfffffff0, ssrc: 0xdeadbeef });
  t.same(Array.from(p.payload), [1, 2, 3, 4, 5]);
});

t.test('CSRCs, header extension and padding are skipped', async (t) => {
  const buf = buildRtp({ payloadType: 8, seq: 1, timestamp: 2, ssrc: 3, payload, csrc: [10, 11], extension: Uint8Array.from([9, 9, 9, 9, 9]), padding: 3 });
  const p = parseRtp(buf);
  t.same(Array.from(p.payload), [1, 2, 3, 4, 5]);
});

t.test('truncated and malformed packets are refused with bounded reasons', async (t) => {
  const full = buildRtp({ payloadType: 0, seq: 1, timestamp: 2, ssrc: 3, payload, csrc: [1, 2, 3], extension: Uint8Array.from([1, 2, 3, 4]) });
  t.throws(() => parseRtp(full.subarray(0, 11)), { code: 'EARSHOT_ERR_RTP', reason: 'short' });
  t.throws(() => parseRtp(full.subarray(0, 20)), { code: 'EARSHOT_ERR_RTP', reason: 'csrc-truncated' });
  t.throws(() => parseRtp(full.subarray(0, 26)), { code: 'EARSHOT_ERR_RTP', reason: 'ext-truncated' });
  t.throws(() => parseRtp(full.subarray(0, 30)), { code: 'EARSHOT_ERR_RTP', reason: 'ext-truncated' });
  const v1 = Buffer.from(full);
  v1[0] = (v1[0] & 0x3f) | 0x40;
  t.throws(() => parseRtp(v1), { code: 'EARSHOT_ERR_RTP', reason: 'version' });
  const pad = buildRtp({ payloadType: 0, seq: 1, timestamp: 2, ssrc: 3, payload, padding: 2 });
  pad[pad.length - 1] = 200;
  t.throws(() => parseRtp(pad), { code: 'EARSHOT_ERR_RTP', reason: 'padding' });
  const rtcp = Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0]);
  t.throws(() => parseRtp(rtcp), { code: 'EARSHOT_ERR_RTP', reason: 'rtcp' });
});
