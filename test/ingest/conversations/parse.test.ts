import t from 'tap';
import { parseLine, parseRecord } from '../../../src/ingest/conversations/parse.js';
import { detectFormat } from '../../../src/ingest/conversations/formats.js';
import { messageKey } from '../../../src/ingest/conversations/engine.js';

const ok = { conversation: 'c-42', channel: 'chat', at: 1764900000000, role: 'customer', text: 'hi' };

t.test('the interchange line as the issue gives it', async (t) => {
  t.same(parseLine(JSON.stringify(ok), 100), { kind: 'message', m: ok });
  t.match(parseLine(JSON.stringify({ ...ok, at: '2025-12-05T02:00:00.000Z', endAt: '2025-12-05T02:00:03Z', id: 'm1', agent: 'a7', queue: 'q', customer: '+1 555', lang: 'en' }), 100), {
    kind: 'message',
    m: { at: 1764900000000, endAt: 1764900003000, id: 'm1', agent: 'a7', queue: 'q', customer: '+1 555', lang: 'en' },
  });
  t.same(parseLine('{"conversation":"c-42","end":true}', 100), { kind: 'end', e: { conversation: 'c-42', end: true } });
});

t.test('every rejection reason, never echoing content', async (t) => {
  const cases: [unknown, string][] = [
    ['{nope', 'json'],
    [[1], 'not-object'],
    [{ ...ok, conversation: undefined }, 'missing'],
    [{ ...ok, text: undefined }, 'missing'],
    [{ ...ok, channel: 'fax' }, 'channel'],
    [{ ...ok, role: 'mixed' }, 'role'],
    [{ ...ok, at: 1764900000 }, 'time'], // seconds, not ms
    [{ ...ok, at: 'yesterday' }, 'time'],
    [{ ...ok, endAt: 1 }, 'time'],
    [{ ...ok, text: 'x'.repeat(101) }, 'too-long'],
    [{ ...ok, text: 5 }, 'field'],
    [{ ...ok, id: '' }, 'field'],
    [{ conversation: 'c', end: 'yes' }, 'field'],
  ];
  for (const [v, reason] of cases) {
    const r = typeof v === 'string' ? parseLine(v, 100) : parseRecord(v, 100);
    t.match(r, { reason }, JSON.stringify(v).slice(0, 60));
  }
  t.match(parseRecord({ ...ok, conversation: 'other' }, 100, { conversation: 'c-42' }), { reason: 'field' });
  t.match(parseRecord({ ...ok, conversation: undefined }, 100, { conversation: 'c-42' }), { kind: 'message', m: { conversation: 'c-42' } });
});

t.test('format detection and message keys', async (t) => {
  t.equal(detectFormat('conversation,time,role,text\n'), 'csv');
  t.equal(detectFormat('{"a":1}\n{"b":2}\n'), 'jsonl');
  t.equal(detectFormat(JSON.stringify({ ContactId: 'x', Transcript: [] })), 'amazon-connect');
  t.equal(detectFormat(JSON.stringify({ conversationId: 'x', transcripts: [] })), 'genesys');
  t.equal(detectFormat('whatever', 'chats.CSV'), 'csv');
  const m = { conversation: 'c', channel: 'chat' as const, at: 1, role: 'agent' as const, text: 't' };
  t.equal(messageKey({ ...m, id: 'x' }), 'id:x');
  t.equal(messageKey(m), messageKey({ ...m }));
  t.not(messageKey(m), messageKey({ ...m, text: 'u' }));
});
