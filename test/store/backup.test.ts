import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { backup, openStore } from '../../src/store/index.js';
import { call, leg, utterance } from './helpers/fixtures.js';
import { dbOf } from '../helpers/db.js';

const log = pino({ level: 'silent' });

t.test('an online backup opens as a store with the same rows, including still-queued writes', async (t) => {
  const dir = t.testdir();
  const store = openStore({ path: join(dir, 'live.db'), log });
  t.teardown(() => store.close());
  const c = call(1);
  const l = leg(c.callId, 'agent');
  store.upsertCall(c);
  store.addLeg(l);
  for (let s = 0; s < 3000; s++) store.addUtterance(utterance(l, s, { text: `line ${s} `.repeat(10) }));
  store.flush();
  store.addCallEvent({ callId: c.callId, kind: 'hold', tMs: 7 }); // queued at backup time
  const alarm = store.insertAlarm({ callId: c.callId, rule: 'r', severity: 'warning', state: 'open', message: 'm', raisedAt: 5 });

  const progress: [number, number][] = [];
  const { totalPages } = await backup(store, join(dir, 'copy.db'), (done, total) => progress.push([done, total]));
  t.ok(totalPages > 200, 'big enough to take several steps');
  t.ok(progress.length >= 2, 'progress reported per step');
  t.same(progress.at(-1), [totalPages, totalPages]);
  t.ok(progress.every(([d], i) => i === 0 || d >= progress[i - 1][0]), 'progress never goes back');

  store.addUtterance(utterance(l, 9999)); // after the backup: must not be in the copy
  store.flush();
  const copy = openStore({ path: join(dir, 'copy.db'), log, recover: false });
  t.teardown(() => copy.close());
  t.equal(dbOf(copy).pragma('integrity_check', { simple: true }), 'ok');
  t.same(copy.getCall(c.callId), store.getCall(c.callId));
  t.same(copy.listUtterances(c.callId), store.listUtterances(c.callId).slice(0, 3000));
  t.equal(copy.listUtterances(c.callId).length, 3000);
  t.same(copy.listCallEvents(c.callId), store.listCallEvents(c.callId));
  t.same(copy.getAlarm(alarm.id), alarm);
});
