// Unit tests of the SRS core's parsers: multipart bodies, rs-metadata forms, role rule, SDP answer.
import t from 'tap';
import { parseSiprecBody } from '../../../src/ingest/siprec/body.js';
import { parseMetadata } from '../../../src/ingest/siprec/metadata.js';
import { assignRoles } from '../../../src/ingest/siprec/roles.js';
import { buildAnswer, parseOffer } from '../../../src/ingest/siprec/sdp.js';

t.test('multipart forms', async (t) => {
  const body = '--X\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--X\r\ncontent-type: application/rs-metadata\r\n\r\n<recording/>\r\n--X--\r\n';
  t.same(parseSiprecBody('multipart/mixed;boundary=X', body), { sdp: 'v=0\r\n', metadata: '<recording/>' });
  t.same(parseSiprecBody('multipart/mixed; boundary="X"', body.replace(/\r\n/g, '\n')), { sdp: 'v=0\n', metadata: '<recording/>' });
  t.same(parseSiprecBody('multipart/mixed', body).sdp, 'v=0\r\n', 'boundary found from the body');
  t.same(parseSiprecBody('application/sdp', 'v=0\r\n'), { sdp: 'v=0\r\n' });
  t.same(parseSiprecBody('application/rs-metadata+xml', '<r/>'), { metadata: '<r/>' });
  t.same(parseSiprecBody(undefined, ''), {});
  t.throws(() => parseSiprecBody('multipart/mixed', 'no delimiter here'), { code: 'EARSHOT_ERR_SIP_BODY', reason: 'no-boundary' });
  t.throws(() => parseSiprecBody('multipart/mixed;boundary=X', '--X\r\nContent-Type: text/plain\r\n\r\nhi\r\n--X--'), { code: 'EARSHOT_ERR_SIP_BODY', reason: 'no-parts' });
  t.throws(() => parseSiprecBody('image/png', 'x'), { code: 'EARSHOT_ERR_SIP_BODY', reason: 'content-type' });
});

t.test('rs-metadata: RFC form, draft form, prefixes, bad XML', async (t) => {
  const rfc = `<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
    <participant participant_id="p1"><nameID aor="sip:alice@x"><name>Alice</name></nameID></participant>
    <participant participant_id="p2"><nameID aor="sip:1001@pbx"/></participant>
    <stream stream_id="s1"><label>10</label></stream><stream stream_id="s2"><label>11</label></stream>
    <participantstreamassoc participant_id="p1"><send>s1</send><recv>s2</recv></participantstreamassoc>
    <participantstreamassoc><participant>p2</participant><send>s2</send></participantstreamassoc></recording>`;
  const m = parseMetadata(rfc);
  t.same(m.participants.map((p) => [p.aor, p.name, p.sends]), [['sip:alice@x', 'Alice', ['10']], ['sip:1001@pbx', undefined, ['11']]]);
  const draft = `<rs:recording xmlns:rs="urn:ietf:params:xml:ns:recording:1"><rs:participant participant_id="a"><rs:aor>sip:bob@y</rs:aor><rs:send>st</rs:send></rs:participant><rs:stream stream_id="st"><rs:label>7</rs:label></rs:stream></rs:recording>`;
  t.same(parseMetadata(draft).participants[0].sends, ['7']);
  t.equal(parseMetadata(draft).participants[0].aor, 'sip:bob@y');
  t.throws(() => parseMetadata('<recording><participant></recording>'), { code: 'EARSHOT_ERR_RS_METADATA', reason: 'malformed' });
  t.throws(() => parseMetadata('<other/>'), { code: 'EARSHOT_ERR_RS_METADATA', reason: 'no-recording' });
  t.throws(() => parseMetadata('<recording/>'.padEnd(300000, ' ')), { code: 'EARSHOT_ERR_RS_METADATA', reason: 'too-large' });
});

t.test('role rule', async (t) => {
  const meta = (a: string, b: string) => ({ participants: [{ id: '1', aor: a, sends: ['1'] }, { id: '2', aor: b, sends: ['2'] }] });
  const roles = (m: ReturnType<typeof meta> | undefined, labels = ['1', '2']) => labels.map((l) => assignRoles(labels, m).get(l)?.role);
  t.same(roles(meta('sip:+15551234@c', 'sip:2001@pbx')), ['customer', 'agent'], 'external first');
  t.same(roles(meta('sip:2001@pbx', 'sip:+15551234@c')), ['agent', 'customer'], 'extension pattern wins over order');
  t.same(roles(meta('sip:alice@a', 'sip:bob@b')), ['customer', 'agent'], 'no split: first is the customer');
  t.same(roles(undefined), ['customer', 'agent'], 'no metadata: m-line order');
  t.same(roles(undefined, ['1', '2', '3']), ['customer', 'agent', 'unknown']);
  t.same(roles(undefined, ['mix']), ['mixed'], 'single stream');
  const both = { participants: [{ id: '1', aor: 'a', sends: ['1'] }, { id: '2', aor: 'b', sends: ['1'] }] };
  t.same(assignRoles(['1', '2'], both).get('1')?.role, 'mixed', 'stream sent by two participants');
  t.match(assignRoles(['1', '2'], meta('sip:x@c', 'sip:2001@p'), /@p$/).get('2'), { role: 'agent', participant: { aor: 'sip:2001@p' } });
});

t.test('role rule: the site rules (names, labels) and which rule decided', async (t) => {
  const AOR = /^(?:sips?:)?\d{2,6}@/;
  const named = (a: string, b: string) => ({ participants: [{ id: '1', aor: 'sip:alice@a', name: a, sends: ['1'] }, { id: '2', aor: 'sip:bob@b', name: b, sends: ['2'] }] });
  const by = (labels: string[], m: Parameters<typeof assignRoles>[1], r: Parameters<typeof assignRoles>[2]) => labels.map((l) => { const x = assignRoles(labels, m, r).get(l); return `${x?.role}/${x?.by}`; });
  t.same(by(['1', '2'], { participants: [{ id: '1', aor: 'sip:+1555@c', sends: ['1'] }, { id: '2', aor: 'sip:2001@p', sends: ['2'] }] }, AOR), ['customer/aor', 'agent/aor'], 'the AOR pattern decides');
  t.same(by(['1', '2'], named('Caller', 'Agent 4711'), { agentAor: AOR, agentName: /^agent\b/iu }), ['customer/name', 'agent/name'], 'AORs do not tell; the name does, against document order');
  t.same(by(['1', '2'], named('Agent 4711', 'Caller'), { agentAor: AOR, agentName: /^agent\b/iu }), ['agent/name', 'customer/name']);
  t.same(by(['1', '2'], named('x', 'y'), { agentAor: AOR, agentLabels: new Set(['1']) }), ['agent/label', 'customer/label'], 'a participant sending the agent label is the agent');
  t.same(by(['a', 'b'], undefined, { agentAor: AOR, agentLabels: new Set(['b']) }), ['customer/label', 'agent/label'], 'no metadata: the label decides, not the m-line order');
  t.same(by(['1', '2'], named('x', 'y'), { agentAor: AOR }), ['customer/order', 'agent/order'], 'nothing tells: document order, reported as the fallback');
  t.same(by(['a', 'b'], undefined, { agentAor: AOR, agentLabels: new Set(['a', 'b']) }), ['customer/order', 'agent/order'], 'every label an agent label does not split them');
  t.same(by(['m'], undefined, AOR), ['mixed/mixed']);
});

t.test('SDP: codec choice in offer order, refusals, answer shape', async (t) => {
  const offer = parseOffer(
    'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n' +
      'm=audio 5000 RTP/AVP 18 9 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=label:a\r\na=sendonly\r\n' +
      'm=audio 5002 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\nc=IN IP4 10.0.0.2\r\na=label:b\r\n' +
      'm=audio 5004 RTP/AVP 18\r\na=label:c\r\nm=video 5006 RTP/AVP 31\r\n',
  );
  t.same(offer.map((o) => o.codec?.name), ['G722', 'OPUS', undefined, undefined]);
  t.equal(offer[0].dtmf?.pt, 101);
  t.equal(offer[1].addr, '10.0.0.2');
  t.equal(offer[1].direction, 'sendrecv');
  const sdp = buildAnswer(offer.map((o, i) => ({ offer: o, port: o.codec ? 20000 + 2 * i : 0 })), { addr: '192.0.2.1', sessionId: 1, version: 0 });
  t.match(sdp, /m=audio 20000 RTP\/AVP 9 101\r\na=rtpmap:9 G722\/8000\r\na=rtpmap:101 telephone-event\/8000/);
  t.match(sdp, /m=audio 20002 RTP\/AVP 96\r\na=rtpmap:96 opus\/48000\/2/);
  t.match(sdp, /m=audio 0 RTP\/AVP 18/);
  t.match(sdp, /m=video 0 RTP\/AVP 31/);
  t.equal(sdp.match(/^m=/gm)?.length, 4, 'one answered m-line per offered one');
  t.equal(sdp.match(/a=recvonly/g)?.length, 2);
  t.throws(() => parseOffer('nonsense'), { code: 'EARSHOT_ERR_SDP', reason: 'malformed' });
  t.throws(() => parseOffer('v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n'), { code: 'EARSHOT_ERR_SDP', reason: 'no-media' });
});

t.test('fuzz: the core answers any body with a SIP status, never a 500', async (t) => {
  const fc = await import('fast-check');
  const { PipelineBus } = await import('../../../src/call/events.js');
  const { CallRegistry } = await import('../../../src/call/registry.js');
  const { createMetrics } = await import('../../../src/metrics/registry.js');
  const { PortPool } = await import('../../../src/ingest/rtp/port-pool.js');
  const { SrsCore } = await import('../../../src/ingest/siprec/core.js');
  const { createIngestMetrics } = await import('../../../src/ingest/siprec/metrics.js');
  const pino = (await import('pino')).default;
  const bus = new PipelineBus();
  const base = 30000 + 2 * Math.floor(Math.random() * 10000);
  const core = new SrsCore(
    { log: pino({ level: 'silent' }), bus, calls: new CallRegistry(bus, 1000), metrics: createIngestMetrics(createMetrics({ defaults: false })), pool: new PortPool(base, base + 400, '127.0.0.1') },
    { allow: [], advertise: '', jitterMs: 60 },
  );
  t.teardown(() => core.close());
  const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 9 101\r\na=rtpmap:101 telephone-event/8000\r\na=label:1\r\n';
  const xml = '<recording xmlns="urn:ietf:params:xml:ns:recording:1"><participant participant_id="p"><nameID aor="sip:1@x"/></participant><stream stream_id="s"><label>1</label></stream></recording>';
  const whole = `--b\r\nContent-Type: application/sdp\r\n\r\n${sdp}\r\n--b\r\nContent-Type: application/rs-metadata+xml\r\n\r\n${xml}\r\n--b--\r\n`;
  const body = fc.oneof(
    fc.string({ maxLength: 400 }),
    fc.tuple(fc.nat(whole.length), fc.nat(whole.length), fc.string({ maxLength: 20 })).map(([a, b, s]) => whole.slice(0, Math.min(a, b)) + s + whole.slice(Math.max(a, b))),
  );
  const ctype = fc.constantFrom('multipart/mixed;boundary=b', 'multipart/mixed', 'application/sdp', 'application/rs-metadata+xml', 'text/plain', '');
  let i = 0;
  await fc.assert(
    fc.asyncProperty(body, ctype, async (b, ct) => {
      const r = await core.invite({ callId: `f${i++}`, source: '127.0.0.1', localAddress: '127.0.0.1', contentType: ct || undefined, body: b, initial: true });
      if (r.status === 200) core.bye(`f${i - 1}`);
      return [200, 400, 488].includes(r.status);
    }),
    { numRuns: 300 },
  );
  t.pass('300 mangled offers answered');
});
