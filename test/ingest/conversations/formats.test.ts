import t from 'tap';
import { amazonConnect, csv, genesys } from '../../../src/ingest/conversations/formats.js';
import { isRejection, parseRecord } from '../../../src/ingest/conversations/parse.js';

const T = 1764900000000;
const records = (it: Iterable<{ line: number; record?: unknown; error?: string }>) => [...it];

t.test('Amazon Connect: roles, skipped items, conversation id fallbacks', async (t) => {
  const out = records(
    amazonConnect({
      InitialContactId: 'init-1',
      Transcript: [
        { AbsoluteTime: new Date(T).toISOString(), Content: 'hi', ContentType: 'text/plain', Id: '1', Type: 'MESSAGE', ParticipantRole: 'CUSTOM_BOT' },
        { AbsoluteTime: new Date(T + 1).toISOString(), ContentType: 'application/pdf', Id: '2', Type: 'ATTACHMENT', ParticipantRole: 'CUSTOMER' },
        { AbsoluteTime: new Date(T + 2).toISOString(), Content: 'file', ContentType: 'application/json', Id: '3', Type: 'MESSAGE', ParticipantRole: 'CUSTOMER' },
        { AbsoluteTime: new Date(T + 3).toISOString(), Content: 'hello', ContentType: 'text/markdown', Id: '4', Type: 'MESSAGE', ParticipantRole: 'SUPERVISOR' },
        { AbsoluteTime: new Date(T + 4).toISOString(), Content: 'who', Id: '5', ParticipantRole: 'OBSERVER' },
        null,
      ],
    }),
  );
  t.same(out.map((p) => [p.line, (p.record as { role?: string; end?: boolean }).role ?? 'end']), [[1, 'bot'], [4, 'agent'], [5, 'OBSERVER'], [6, 'end'], [7, 'end']]);
  t.match(parseRecord(out[2].record, 100), { reason: 'role' }, 'an unknown role is rejected, with its item number');
  t.match(out[0].record, { conversation: 'init-1', channel: 'chat' });
  t.match(out[4].record, { conversation: 'init-1', end: true, at: new Date(T + 4).toISOString() });
});

t.test('Genesys: media types, purposes, missing durations and ids', async (t) => {
  const out = records(
    genesys({
      conversationId: 'g-1',
      mediaType: 'message',
      transcripts: [{ phrases: [{ text: 'a', startTimeMs: T, participantPurpose: 'ivr' }, { text: 'b', startTimeMs: T + 10, duration: { milliseconds: 5 }, participantPurpose: 'Customer' }, { text: 'c', participantPurpose: 'observer' }, null] }, null],
    }),
  );
  t.match(out[0].record, { channel: 'app', role: 'bot', id: '0:0', at: T });
  t.notOk('endAt' in (out[0].record as object), 'no duration, no endAt');
  t.match(out[1].record, { role: 'customer', endAt: T + 15 });
  t.match(parseRecord(out[2].record, 100), { reason: 'missing' }, 'a phrase without a time is rejected');
  t.match(out.at(-1)?.record, { conversation: 'g-1', end: true, at: T + 15 });
  const plain = records(genesys({ conversationId: 'g-2', transcripts: [{ transcriptId: 't', phrases: [{ text: 'x', startTimeMs: T, participantPurpose: 'internal', phraseIndex: 7 }] }] }));
  t.match(plain[0].record, { channel: 'voice', role: 'agent', id: 't:7' });
  t.match(records(genesys({ conversationId: 'g-3', mediaType: 'fax', transcripts: [] }))[0].record, { end: true });
});

t.test('CSV: optional columns, epoch times, a broken row named by its line', async (t) => {
  const text = ['conversation,time,role,text,channel,id,agent,queue,customer,endTime', `k,${T},customer,hi,,m1,,,+1 555 0100,${T + 500}`, `k,${T + 1},agent,"unclosed,email,m2,a,q,,`, `k,${T + 2},agent,hello,email,m3,a7,q1,,`].join('\n');
  const out = records(csv(text));
  t.ok(out.some((p) => p.error === 'malformed CSV row'), 'the broken row is reported');
  const good = out.filter((p) => p.record).map((p) => p.record as Record<string, unknown>);
  t.match(good[0], { conversation: 'k', channel: 'chat', at: T, endAt: T + 500, id: 'm1', customer: '+1 555 0100' });
  const r = parseRecord(good[0], 100);
  t.notOk(isRejection(r));
});
