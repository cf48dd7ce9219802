import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStore } from '../../../src/store/index.js';
import { dbOf } from '../../helpers/db.js';

const log = pino({ level: 'silent' });

t.test('conversations repo: message index, list by channel, mix, NPS by channel', async (t) => {
  const store = openStore({ path: join(t.testdir(), 'c.db'), log });
  t.teardown(() => store.close());
  const r = store.repos.conversations;
  store.upsertCall({ callId: 'v1', ingest: 'import', externalId: 'sha', startedAt: 1000 });
  store.upsertCall({ callId: 'c1', ingest: 'conversation', externalId: 'chat-1', startedAt: 2000, channel: 'chat' });
  store.upsertCall({ callId: 'e1', ingest: 'conversation', externalId: 'mail-1', startedAt: 3000, channel: 'email' });
  store.flush();
  t.same(r.find('chat-1'), { id: 'c1', state: 'active', channel: 'chat', startedAt: 2000 });
  t.equal(r.find('sha'), undefined, 'audio imports are not conversations');

  t.equal(r.addMessage('c1', { msgKey: 'id:b', party: 'agent', at: 2500, seq: 1 }), true);
  t.equal(r.addMessage('c1', { msgKey: 'id:a', party: 'customer', at: 2000, endAt: 2100, seq: 1 }), true);
  t.equal(r.addMessage('c1', { msgKey: 'id:a', party: 'customer', at: 9999, seq: 2 }), false, 'same key: a duplicate');
  t.equal(r.hasMessage('c1', 'id:a'), true);
  t.equal(r.hasMessage('e1', 'id:a'), false, 'keys are per conversation');
  t.same(r.messages('c1'), [
    { msgKey: 'id:a', party: 'customer', at: 2000, endAt: 2100, seq: 1 },
    { msgKey: 'id:b', party: 'agent', at: 2500, endAt: undefined, seq: 1 },
  ]);
  t.throws(() => r.addMessage('nope', { msgKey: 'x', party: 'bot', at: 1, seq: 1 }), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }, 'the call must exist');

  t.same(r.list({ channel: 'chat' }).map((c) => [c.callId, c.messages]), [['c1', 2]]);
  t.same(r.list().map((c) => c.callId), ['e1', 'c1', 'v1'], 'newest first, calls included');
  t.same(r.channelMix(0, 10_000), [{ channel: 'chat', conversations: 1 }, { channel: 'email', conversations: 1 }, { channel: 'voice', conversations: 1 }]);
  t.same(r.channelMix(2500, 10_000), [{ channel: 'email', conversations: 1 }]);

  dbOf(store).prepare("INSERT INTO surveys (call_id, kind, score, received_at) VALUES ('c1','nps',9,5000), ('e1','nps',3,5000), (NULL,'nps',10,5000), ('c1','csat',5,5000)").run();
  t.same(r.npsByChannel(0, 10_000), [
    { channel: 'chat', responses: 1, promoters: 1, detractors: 0, nps: 100 },
    { channel: 'email', responses: 1, promoters: 0, detractors: 1, nps: -100 },
    { channel: 'unlinked', responses: 1, promoters: 1, detractors: 0, nps: 100 },
  ]);
  t.same(r.transcript('c1'), [], 'no utterances stored yet: nothing to show');
});
