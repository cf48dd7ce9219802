import t from 'tap';
import { buildResponse, header, param, parseSipMessage, topBranch } from '../../../src/ingest/sip/message.js';

const lim = { maxBytes: 65535 };

t.test('compact headers, folding, bare LF, leading CRLF keep-alive', async (t) => {
  const raw = '\r\nINVITE sip:srs@h SIP/2.0\nv: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2\nf: <sip:a@b>;tag=9\nt: <sip:c@d>\ni: cid\nCSeq: 4 INVITE\nSubject: a\n  folded\nc: application/sdp\nl: 3\n\nabcdef';
  const m = parseSipMessage(Buffer.from(raw), lim);
  t.equal(m.method, 'INVITE');
  t.equal(header(m, 'call-id'), 'cid');
  t.equal(header(m, 'subject'), 'a folded');
  t.equal(m.body, 'abc', 'Content-Length bounds the body');
  t.equal(topBranch(m), 'z9hG4bK1');
  t.equal(param(header(m, 'from'), 'tag'), '9');
  t.equal(param('<sip:x@y;tag=no>', 'tag'), undefined, 'a URI parameter is not a header parameter');
  const res = buildResponse(m, 200, 'OK', { toTag: 'me', body: 'v=0\r\n', headers: { Contact: '<sip:srs@h>' } }).toString();
  t.match(res, /^SIP\/2\.0 200 OK\r\nVia: SIP\/2\.0\/UDP a;branch=z9hG4bK1, SIP\/2\.0\/UDP b;branch=z9hG4bK2\r\n/);
  t.match(res, /To: <sip:c@d>;tag=me\r\n/);
  t.match(res, /Content-Length: 5\r\n\r\nv=0\r\n$/);
});

t.test('rejections carry bounded reasons', async (t) => {
  const ok = 'OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n';
  t.equal(parseSipMessage(Buffer.from(ok), lim).method, 'OPTIONS');
  t.throws(() => parseSipMessage(Buffer.from(ok), { maxBytes: 10 }), { code: 'EARSHOT_ERR_SIP_PARSE', reason: 'oversized' });
  t.throws(() => parseSipMessage(Buffer.from('OPTIONS sip:x SIP/2.0\r\n'), lim), { code: 'EARSHOT_ERR_SIP_PARSE', reason: 'no-header-end' });
  t.throws(() => parseSipMessage(Buffer.from(ok.replace('SIP/2.0\r\n', 'SIP/3.0\r\n')), lim), { code: 'EARSHOT_ERR_SIP_PARSE', reason: 'version' });
  t.throws(() => parseSipMessage(Buffer.from(ok.replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE')), lim), { code: 'EARSHOT_ERR_SIP_PARSE', reason: 'cseq' });
  t.throws(() => parseSipMessage(Buffer.from(ok.replace('From:', 'From')), lim), { code: 'EARSHOT_ERR_SIP_PARSE', reason: 'bad-header' });
  t.throws(() => parseSipMessage(Buffer.from(ok.replace('\r\n\r\n', '\r\nContent-Length: 10\r\n\r\nabc')), lim), { code: 'EARSHOT_ERR_SIP_PARSE', reason: 'truncated-body' });
  try {
    parseSipMessage(Buffer.from(ok.replace('\r\n\r\n', '\r\nContent-Length: 10\r\n\r\nabc')), lim);
  } catch (err) {
    t.ok((err as { partial?: unknown }).partial, 'the parsed headers come with the error, for a 400');
  }
  const resp = parseSipMessage(Buffer.from('SIP/2.0 180 Ringing\r\nVia: x\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n'), lim);
  t.same([resp.kind, resp.status, resp.method], ['response', 180, 'INVITE']);
});

t.test('fuzz: any bytes either parse or fail with a SipParseError', async (t) => {
  const fc = await import('fast-check');
  const base = Buffer.from('INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\nbody');
  const mutate = fc.tuple(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(base.length)).map(([edits, cut]) => {
    const b = Buffer.from(base.subarray(0, cut));
    for (const [i, v] of edits) if (i < b.length) b[i] = v;
    return b;
  });
  fc.assert(
    fc.property(fc.oneof(mutate, fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u))), (buf) => {
      try {
        parseSipMessage(buf, lim);
      } catch (err) {
        if ((err as { code?: string }).code !== 'EARSHOT_ERR_SIP_PARSE') throw err;
      }
    }),
    { numRuns: 3000 },
  );
  t.pass('no foreign exception in 3000 runs');
});
