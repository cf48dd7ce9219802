import t from 'tap';
import { sendTime } from '../../src/care/index.js';
import { counterValue } from '../alarms/helpers/env.js';
import { careEnv, playCall } from './helpers/env.js';
import { dbOf } from '../helpers/db.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const resolvedComplaint = [
  { role: 'customer' as const, text: 'my order never came', sentiment: -0.5, categories: ['complaint'] },
  { role: 'agent' as const, text: 'i have sent a new one today' },
  { role: 'customer' as const, text: 'great thank you', sentiment: 0.6 },
];
const outbox = (e: Awaited<ReturnType<typeof careEnv>>) =>
  dbOf(e.store).prepare("SELECT json_extract(payload, '$.event') AS event, json_extract(payload, '$.survey.rule') AS rule, created_at AS createdAt, next_at AS nextAt FROM outbox WHERE json_extract(payload, '$.event') = 'survey.requested' ORDER BY id").all() as { rule: string; createdAt: number; nextAt: number }[];

t.test('a resolved complaint requests a survey once; the same customer is not asked again within minDaysBetween', async (t) => {
  const e = await careEnv(t, { surveys: { quietFrom: 0, quietTo: 0, minDaysBetween: 30 } });
  const c1 = playCall(e, { agentId: 'a1', customerHash: 'cust-1', turns: resolvedComplaint });
  t.match(outbox(e), [{ rule: 'resolved-complaint' }], 'requested');
  t.same(e.care.triggers.afterCall(c1), { requested: false, reason: 'recently-asked' }, 'asking again for the same call does nothing');
  t.equal(outbox(e).length, 1, 'fires once');
  e.clock.now += 10 * DAY;
  playCall(e, { agentId: 'a1', customerHash: 'cust-1', turns: resolvedComplaint });
  t.equal(outbox(e).length, 1, 'not twice within 30 days');
  e.clock.now += 21 * DAY;
  playCall(e, { agentId: 'a1', customerHash: 'cust-1', turns: resolvedComplaint });
  t.equal(outbox(e).length, 2, 'again after 30 days');
  t.equal(await counterValue(e.metrics, 'earshot_survey_requests_total', { result: 'recently-asked' }), 2);
  // The database also refuses a second request for one call, whatever the rules.
  t.equal(e.store.repos.cases.insertRequest({ callId: c1, customerHash: 'cust-1', rule: 'x', kind: 'nps', caseId: null, requestedAt: e.clock.now, sendAt: e.clock.now }), undefined);
});

t.test('never after an abusive call; unresolved complaints fall to the sampling rule; sampling and no-customer', async (t) => {
  const e = await careEnv(t, { surveys: { quietFrom: 0, quietTo: 0 } });
  playCall(e, { agentId: 'a1', customerHash: 'cust-abuse', turns: [...resolvedComplaint, { role: 'customer', text: '[redacted] idiot', categories: ['abusive-language'] }] });
  t.equal(outbox(e).length, 0, 'never after abuse, even for a resolved complaint');
  e.draws.push(0.5); // above the 10% sampling rate
  playCall(e, { agentId: 'a1', customerHash: 'cust-unresolved', turns: [{ role: 'customer', text: 'this is useless', sentiment: -0.9, categories: ['complaint'] }, { role: 'customer', text: 'bye', sentiment: -0.9 }] });
  t.equal(outbox(e).length, 0, 'unresolved: the sample rule, sampled out');
  e.draws.push(0.05);
  playCall(e, { agentId: 'a1', customerHash: 'cust-plain', turns: [{ role: 'customer', text: 'what are your opening hours', sentiment: 0 }] });
  t.match(outbox(e), [{ rule: 'sample' }], 'sampled in');
  playCall(e, { agentId: 'a1', turns: resolvedComplaint });
  t.equal(outbox(e).length, 1, 'a call without a customer hash cannot be surveyed');
  for (const reason of ['abuse', 'sampled-out', 'no-customer']) t.equal(await counterValue(e.metrics, 'earshot_survey_requests_total', { result: reason }), 1, reason);
});

t.test('quiet hours in the site time zone: the request waits in the outbox until they end', async (t) => {
  // 22:30 in Shanghai (UTC+8) = 14:30 UTC.
  const start = Date.UTC(2026, 10, 23, 14, 30);
  const e = await careEnv(t, { surveys: { timeZone: 'Asia/Shanghai', quietFrom: 21, quietTo: 8 } }, start);
  playCall(e, { agentId: 'a1', customerHash: 'cust-night', turns: resolvedComplaint });
  const [row] = outbox(e);
  t.equal(row.createdAt, start);
  t.equal(row.nextAt, Date.UTC(2026, 10, 24, 0, 0), 'sent at 08:00 Shanghai time the next morning');
  await e.alarms.deliverWebhooks();
  t.equal(e.rx.hits.length, 0, 'not delivered during quiet hours');
  e.clock.now = Date.UTC(2026, 10, 24, 0, 0);
  await e.alarms.deliverWebhooks();
  t.equal(e.rx.hits.length, 1, 'delivered when they end');
  t.match(e.rx.hits[0].body, { event: 'survey.requested', survey: { rule: 'resolved-complaint', customerHash: 'cust-night', agentId: 'a1' }, answerTo: '/api/v1/surveys' });
  t.notOk(JSON.stringify(e.rx.hits[0].body).includes('order'), 'no transcript text');
});

t.test('sendTime: spans midnight or not, offsets, none when from = to', async (t) => {
  const at = (h: number, m = 0) => Date.UTC(2026, 5, 1, h, m);
  t.equal(sendTime(at(12), 'UTC', 21, 8), at(12), 'outside');
  t.equal(sendTime(at(23, 10), 'UTC', 21, 8), Date.UTC(2026, 5, 2, 8), 'late evening → next morning');
  t.equal(sendTime(at(3), 'UTC', 21, 8), at(8), 'small hours → same morning');
  t.equal(sendTime(at(13, 7), 'UTC', 13, 14), at(14), 'a span inside the day');
  t.equal(sendTime(at(3), 'UTC', 8, 8), at(3), 'from = to: no quiet hours');
  // India is UTC+5:30: 08:00 there is 02:30 UTC.
  t.equal(sendTime(at(22), 'Asia/Kolkata', 21, 8), Date.UTC(2026, 5, 2, 2, 30));
});

t.test('an unknown time zone refuses to start with the key named', async (t) => {
  await t.rejects(careEnv(t, { surveys: { timeZone: 'Mars/Olympus' } }), { code: 'EARSHOT_ERR_CONFIG', message: /surveys\.timeZone/ });
});

t.test('fires once per call even when call.ended arrives twice; no request for a call still running', async (t) => {
  const e = await careEnv(t, { surveys: { quietFrom: 0, quietTo: 0, minDaysBetween: 0 } });
  const c1 = playCall(e, { agentId: 'a1', customerHash: 'cust-dup', turns: resolvedComplaint });
  // A replayed end event (a retry after a restart): the per-call unique request holds.
  e.bus.emit('call.ended', { callId: c1, state: 'ended', endedAt: e.clock.now + 20_000 });
  e.store.flush();
  t.equal(outbox(e).length, 1, 'one request');
  t.equal(await counterValue(e.metrics, 'earshot_survey_requests_total', { result: 'already' }), 1, 'the repeat counted as already');
  t.equal(dbOf(e.store).prepare('SELECT COUNT(*) FROM survey_requests WHERE call_id = ?').pluck().get(c1), 1);
  // With minDaysBetween 0, the same customer's next call may be asked.
  playCall(e, { agentId: 'a1', customerHash: 'cust-dup', turns: resolvedComplaint });
  t.equal(outbox(e).length, 2, 'minDaysBetween 0: every call');
  const { startCall } = await import('../alarms/helpers/env.js');
  const live = startCall(e.bus, { agentId: 'a1', customerHash: 'cust-live', startedAt: e.clock.now });
  e.store.flush();
  t.same(e.care.triggers.afterCall(live.callId), { requested: false, reason: 'not-ended' });
  t.same(e.care.triggers.afterCall('no-such-call'), { requested: false, reason: 'no-call' });
});

t.test('neverAfter globs; a follow-up survey keeps quiet hours but not the repeat limit', async (t) => {
  // 23:00 UTC, quiet hours 21-8 UTC.
  const start = Date.UTC(2026, 10, 23, 23, 0);
  const e = await careEnv(t, { surveys: { quietFrom: 21, quietTo: 8, minDaysBetween: 30, neverAfter: ['abus*', 'threat-*'] } }, start);
  playCall(e, { agentId: 'a1', customerHash: 'cust-threat', turns: [...resolvedComplaint, { role: 'customer', text: 'i know where you live', categories: ['threat-violence'] }] });
  t.equal(outbox(e).length, 0, 'a glob in neverAfter blocks the request');
  playCall(e, { agentId: 'a1', customerHash: 'cust-fu', turns: resolvedComplaint });
  const [first] = outbox(e);
  t.equal(first.nextAt, Date.UTC(2026, 10, 24, 8, 0), 'the post-call request waits for 08:00');
  // The customer's case is resolved the same night: its follow-up is sent despite the request an
  // hour ago (case follow-ups are exempt from minDaysBetween), and also waits for 08:00.
  const c = e.care.cases.open({ customerHash: 'cust-fu', origin: 'supervisor', reason: 'callback', by: 'sam' }).row;
  e.clock.now += HOUR;
  e.care.cases.transition(c.id, 'resolved', 'sam', { outcome: 'explained' });
  const rows = outbox(e);
  t.equal(rows.length, 2);
  t.match(rows[1], { rule: 'case-follow-up', createdAt: start + HOUR, nextAt: Date.UTC(2026, 10, 24, 8, 0) });
  await e.alarms.deliverWebhooks();
  t.equal(e.rx.hits.filter((h) => h.body.event === 'survey.requested').length, 0, 'nothing sent in quiet hours');
  e.clock.now = Date.UTC(2026, 10, 24, 8, 0);
  await e.alarms.deliverWebhooks();
  t.same(e.rx.hits.filter((h) => h.body.event === 'survey.requested').map((h) => h.body.survey.rule).sort(), ['case-follow-up', 'resolved-complaint']);
});
