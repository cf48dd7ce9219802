// SRTP (SDES) on real sockets. The sender is test/fixtures/srtp-ref.ts, an RFC 3711 implementation
// on node:crypto that shares no code with the product's decryptor (werift-rtp); it is first held
// to the RFC's own Appendix B vectors, then used to send a SIPREC call's SRTP over UDP.
import t from 'tap';
import dgram from 'node:dgram';
import { aesCmKeystream, derive, protect, rtpPacket, sessionKeys } from '../../fixtures/srtp-ref.js';
import { speechUlaw } from '../../fixtures/sipp/harness.js';
import { chooseCrypto, CryptoAttributeError, parseCrypto, SrtpKey, SrtpReceiver } from '../../../src/ingest/rtp/srtp.js';
import { multipart, request, UdpClient } from '../sip/client.js';
import { legPcm, metricValue, startIngest, waitFor } from '../siprec/helpers.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

t.test('the reference sender matches RFC 3711 Appendix B', async (t) => {
  // B.2 AES-CM keystream for session key 2B7E…, IV F0F1…FD0000.
  t.equal(aesCmKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C'), hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'), 48).toString('hex').toUpperCase(), 'E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0');
  // B.3 key derivation.
  const mk = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const ms = hex('0EC675AD498AFEEBB6960B3AABE6');
  t.equal(derive(mk, ms, 0, 16).toString('hex').toUpperCase(), 'C61E7A93744F39EE10734AFE3FF7A087', 'cipher key');
  t.equal(derive(mk, ms, 2, 14).toString('hex').toUpperCase(), '30CBBC08863D8C85D49DB34A9AE1', 'cipher salt');
  t.equal(derive(mk, ms, 1, 20).toString('hex').toUpperCase(), 'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4', 'auth key (first 160 bits)');
});

t.test('a=crypto parsing', async (t) => {
  const key = Buffer.alloc(30, 7).toString('base64');
  const c = parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^31`);
  t.equal(c.tag, 1);
  t.equal(c.key?.length, 16);
  t.equal(c.salt?.length, 14);
  t.same(parseCrypto(`2 AES_CM_128_HMAC_SHA1_32 inline:${key}`), { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32' }, 'unsupported suite: kept by name, no key');
  t.equal(chooseCrypto([parseCrypto(`2 AES_CM_128_HMAC_SHA1_32 inline:${key}`), c]), c, 'the first supported line in the offer order');
  t.equal(parseCrypto(`3 AEAD_AES_128_GCM inline:${Buffer.alloc(28).toString('base64')}`).salt?.length, 12);
  for (const [bad, reason] of [
    ['x AES_CM_128_HMAC_SHA1_80 inline:AAAA', 'syntax'],
    [`1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(20).toString('base64')}`, 'key-length'],
    [`1 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^20|1:4`, 'mki'],
    [`1 AES_CM_128_HMAC_SHA1_80 inline:${key};inline:${key}`, 'multiple-keys'],
    [`1 AES_CM_128_HMAC_SHA1_80 key:${key}`, 'key-params'],
  ]) {
    t.throws(() => parseCrypto(bad), new CryptoAttributeError(reason), reason);
  }
  const k = new SrtpKey('AES_CM_128_HMAC_SHA1_80');
  t.notOk(JSON.stringify({ k }).includes(Buffer.concat([k.key, k.salt]).toString('base64')), 'a key never serialises');
  t.not(new SrtpKey('AES_CM_128_HMAC_SHA1_80').key.equals(k.key), 'fresh random key each time');
});

t.test('unprotect: RFC 3711 packets decrypt, a wrong key or a flipped bit fails authentication', async (t) => {
  const mk = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const ms = hex('0EC675AD498AFEEBB6960B3AABE6');
  const rx = new SrtpReceiver({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', key: mk, salt: ms }, new SrtpKey('AES_CM_128_HMAC_SHA1_80'));
  const plain = rtpPacket(0, 65530, 1000, 0xdeadbeef, Buffer.alloc(160, 0x55));
  const keys = sessionKeys(mk, ms);
  const r = rx.unprotect(protect(keys, plain));
  t.ok(r.ok && r.packet.equals(plain), 'decrypted to the exact plain packet');
  // Across the 16-bit sequence wrap: the ROC must advance on both sides.
  for (let i = 1; i <= 10; i++) {
    const p = rtpPacket(0, (65530 + i) & 0xffff, 1000 + 160 * i, 0xdeadbeef, Buffer.alloc(160, i));
    const got = rx.unprotect(protect(keys, p, 65530 + i > 0xffff ? 1 : 0));
    t.ok(got.ok && got.packet.equals(p), `seq ${(65530 + i) & 0xffff}`);
  }
  const flipped = protect(keys, rtpPacket(0, 5, 1, 0xdeadbeef, Buffer.alloc(160)), 1);
  flipped[20] ^= 1;
  t.same(rx.unprotect(flipped), { ok: false, reason: 'auth' });
  t.same(rx.unprotect(protect(sessionKeys(Buffer.alloc(16, 1), ms), plain)), { ok: false, reason: 'auth' }, 'wrong key');
  t.same(rx.unprotect(Buffer.alloc(8)), { ok: false, reason: 'malformed' });
});

function sdpSrtp(legs: { port: number; label: string; crypto: string[]; proto?: string }[]): string {
  const out = ['v=0', 'o=src 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const l of legs) out.push(`m=audio ${l.port} ${l.proto ?? 'RTP/SAVP'} 0`, 'a=rtpmap:0 PCMU/8000', ...l.crypto.map((c) => `a=crypto:${c}`), `a=label:${l.label}`, 'a=sendonly');
  return out.join('\r\n') + '\r\n';
}

t.test('SIPREC call with SRTP over UDP: answered with our own key, decoded sample-exact; wrong key counted and marked', async (t) => {
  const dir = t.testdir();
  const src = speechUlaw(dir, 'a', 'The account number is on the back of the card.', 'kal');
  const h = await startIngest(t);
  const port = h.ingest.address().udp;
  const c = await UdpClient.open(t, port);
  const goodKey = Buffer.from(Array.from({ length: 30 }, (_, i) => (i * 37 + 11) & 0xff));
  const offeredKey = Buffer.alloc(30, 0x42); // leg 2 is offered this key but sent with another one
  const offer = sdpSrtp([
    { port: 41000, label: '1', crypto: [`1 AES_CM_128_HMAC_SHA1_32 inline:${goodKey.toString('base64')}`, `2 AES_CM_128_HMAC_SHA1_80 inline:${goodKey.toString('base64')}|2^31`] },
    { port: 41002, label: '2', crypto: [`1 AES_CM_128_HMAC_SHA1_80 inline:${offeredKey.toString('base64')}`] },
  ]);
  const res = await c.request(request({ callId: 'srtp-1', port, localPort: c.localPort, contentType: 'application/sdp', body: offer }), '1 INVITE');
  t.equal(res?.status, 200);
  const answer = res!.body;
  const cryptos = [...answer.matchAll(/^a=crypto:(\d+) (\S+) inline:(\S+)$/gm)];
  t.equal(cryptos.length, 2, 'one a=crypto per SRTP stream');
  t.same(cryptos.map((m) => [m[1], m[2]]), [['2', 'AES_CM_128_HMAC_SHA1_80'], ['1', 'AES_CM_128_HMAC_SHA1_80']], 'the supported line chosen, its tag echoed');
  t.ok(cryptos.every((m) => Buffer.from(m[3], 'base64').length === 30), '30-byte key||salt');
  t.not(cryptos[0][3], cryptos[1][3], 'a key per stream');
  t.notOk(answer.includes(goodKey.toString('base64')) || answer.includes(offeredKey.toString('base64')), 'our key, not the SRC’s echoed');
  t.equal([...answer.matchAll(/^m=audio \d+ RTP\/SAVP /gm)].length, 2);
  const ports = [...answer.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));

  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => sock.close());
  const good = sessionKeys(goodKey.subarray(0, 16), goodKey.subarray(16));
  const wrong = sessionKeys(Buffer.alloc(16, 0x99), offeredKey.subarray(16));
  const n = Math.ceil(src.ulaw.length / 160);
  // Paced at 20 ms as an SRC sends (the jitter buffer plays out by arrival); wrong-key leg interleaved.
  for (let k = 0; k < n; k++) {
    const payload = Buffer.alloc(160, 0xff);
    src.ulaw.copy(payload, 0, k * 160, k * 160 + 160);
    sock.send(protect(good, rtpPacket(0, 1000 + k, 160 * k, 0x1111, payload)), ports[0], '127.0.0.1');
    if (k < 20) sock.send(protect(wrong, rtpPacket(0, 7000 + k, 160 * k, 0x2222, payload)), ports[1], '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(await waitFor(async () => (await metricValue(h.metrics, 'earshot_srtp_auth_failures_total')) === 20), 'every wrong-key packet counted');
  const bye = await c.request(request({ method: 'BYE', callId: 'srtp-1', port, localPort: c.localPort, cseq: 2, toTag: /tag=([^;>\s]+)/.exec(res!.headers.to)![1], contentType: '', body: '' }), '2 BYE');
  t.equal(bye?.status, 200);
  t.ok(await waitFor(() => h.ended.length === 1));
  const [l1, l2] = ['1', '2'].map((l) => h.legs.find((x) => x.label === l)!);
  const got = legPcm(h, l1.legId);
  t.ok(got.length >= src.pcm.length, `all audio delivered (${got.length} ≥ ${src.pcm.length})`);
  let mismatches = 0;
  for (let i = 0; i < src.pcm.length; i++) if (got[i] !== src.pcm[i]) mismatches++;
  t.equal(mismatches, 0, 'decrypted and decoded samples equal sox’s decode of the source µ-law');
  t.same(l1.srtp, { suite: 'AES_CM_128_HMAC_SHA1_80', authFailures: 0 });
  t.same(l2.srtp, { suite: 'AES_CM_128_HMAC_SHA1_80', authFailures: 20 }, 'wrong-key leg marked');
  t.equal(h.stats.get(l2.legId)?.srtpAuthFailures, 20, 'and in its stats');
  t.equal(h.stats.get(l2.legId)?.packets, 0, 'nothing from the wrong key reached the decoder');
  t.equal(legPcm(h, l2.legId).filter((s) => s !== 0).length, 0, 'no noise decoded from ciphertext');
  t.equal(await metricValue(h.metrics, 'earshot_rtp_dropped_total', { reason: 'srtp-auth' }), 20);
  const opt = await c.request(request({ method: 'OPTIONS', callId: 'o', port, localPort: c.localPort, contentType: '', body: '' }), '1 OPTIONS');
  t.equal(opt?.status, 200, 'the process goes on');
});

t.test('488 for unsupported suites only; rtp.srtp off and required', async (t) => {
  const key = Buffer.alloc(30, 1).toString('base64');
  const cases: { policy: 'optional' | 'off' | 'required'; proto: string; crypto: string[]; status: number; reason?: string }[] = [
    { policy: 'optional', proto: 'RTP/SAVP', crypto: [`1 AES_CM_128_HMAC_SHA1_32 inline:${key}`, `2 F8_128_HMAC_SHA1_80 inline:${key}`], status: 488, reason: 'srtp-suite' },
    { policy: 'optional', proto: 'RTP/SAVP', crypto: [], status: 488, reason: 'srtp-suite' },
    { policy: 'optional', proto: 'RTP/SAVPF', crypto: [`1 AES_CM_128_HMAC_SHA1_80 inline:${key}`], status: 200 },
    { policy: 'optional', proto: 'RTP/SAVP', crypto: [`1 AEAD_AES_128_GCM inline:${Buffer.alloc(28, 3).toString('base64')}`], status: 200 },
    { policy: 'off', proto: 'RTP/SAVP', crypto: [`1 AES_CM_128_HMAC_SHA1_80 inline:${key}`], status: 488, reason: 'srtp-off' },
    { policy: 'required', proto: 'RTP/AVP', crypto: [], status: 488, reason: 'srtp-required' },
    { policy: 'required', proto: 'RTP/SAVP', crypto: [`1 AES_CM_128_HMAC_SHA1_80 inline:${key}`], status: 200 },
  ];
  for (const [i, k] of cases.entries()) {
    const h = await startIngest(t, (c) => (c.rtp.srtp = k.policy));
    const port = h.ingest.address().udp;
    const c = await UdpClient.open(t, port);
    const body = multipart('b', [{ type: 'application/sdp', body: sdpSrtp([{ port: 42000, label: '1', crypto: k.crypto, proto: k.proto }]) }]);
    const res = await c.request(request({ callId: `p${i}`, port, localPort: c.localPort, contentType: 'multipart/mixed;boundary=b', body }), '1 INVITE');
    t.equal(res?.status, k.status, `${k.policy} ${k.proto} ${k.crypto.map((x) => x.split(' ')[1]).join(',')}`);
    if (k.reason) t.equal(await metricValue(h.metrics, 'earshot_bad_input_total', { parser: 'sdp', reason: k.reason }), 1, `counted as ${k.reason}`);
    if (k.status === 200) t.match(res!.body, new RegExp(`^m=audio [1-9]\\d* ${k.proto.replace('/', '\\/')} 0\\r\\na=rtpmap:0 PCMU/8000\\r\\na=crypto:1 `, 'm'));
  }
});
