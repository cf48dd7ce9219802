import { createHmac } from 'node:crypto';
import t from 'tap';
import { counterValue } from '../alarms/helpers/env.js';
import { careEnv, playCall, SECRET, serveApi } from './helpers/env.js';
import { dbOf } from '../helpers/db.js';

const HOUR = 3_600_000;

t.test('detractor survey → case with evidence → SLA breach escalates → webhook → resolution → follow-up survey', async (t) => {
  const e = await careEnv(t);
  const api = await serveApi(t, e);
  const callId = playCall(e, {
    agentId: 'agent-7', customerHash: 'cust-angry', queue: 'billing',
    turns: [
      { role: 'customer', text: 'hello i have a question about my bill', sentiment: 0.1 },
      { role: 'agent', text: 'sure let me look', sentiment: 0.2 },
      { role: 'customer', text: 'you charged me twice this is ridiculous', sentiment: -0.8, categories: ['complaint'] },
      { role: 'agent', text: 'that is our policy', sentiment: 0 },
      { role: 'customer', text: 'i am really unhappy', sentiment: -0.6 },
    ],
  });
  // The answer comes back through the existing surveys API.
  e.clock.now += HOUR;
  const s = await api.supervisor.post('/surveys', { callId, kind: 'nps', score: 2 });
  t.equal(s.status, 201);

  const list = await api.supervisor.get('/cases');
  t.equal(list.status, 200);
  t.equal(list.body.cases.length, 1, 'the detractor opened one case');
  const c = list.body.cases[0];
  t.match(c, { customerHash: 'cust-angry', origin: 'survey', reason: 'detractor', state: 'open', team: 'care', dueAt: e.clock.now + 24 * HOUR, overdue: false });
  t.notOk('evidence' in c, 'the list carries no evidence');

  const one = await api.supervisor.get(`/cases/${c.id}`);
  const ev = one.body.case.evidence;
  t.equal(ev.calls[0].callId, callId, 'evidence names the call');
  t.same(ev.calls[0].categories, { complaint: 1 }, 'and its categories');
  t.equal(ev.calls[0].worstMoments[0].sentiment, -0.8, 'and the worst moment');
  t.match(ev.lastNps, { score: 2, class: 'detractor' });
  t.notOk(JSON.stringify(ev).includes('ridiculous'), 'evidence holds no transcript text');

  // Same survey seen again (a retry) opens nothing new; a viewer cannot see cases.
  e.care.onSurvey({ id: s.body.survey.id, customerHash: 'cust-angry', kind: 'nps', score: 2, receivedAt: e.clock.now });
  t.equal((await api.supervisor.get('/cases')).body.cases.length, 1);
  t.equal((await api.viewer.get('/cases')).status, 403);

  // Not yet overdue: nothing escalates. 25 h later it does, once.
  t.same(e.care.tick(), { escalated: 0, opened: 0 });
  e.clock.now += 25 * HOUR;
  t.equal(e.care.tick().escalated, 1);
  t.equal(e.care.tick().escalated, 0, 'escalates once');
  t.equal((await api.supervisor.get('/cases?overdue=true')).body.cases.length, 1, 'filter: overdue');
  t.equal(await counterValue(e.metrics, 'earshot_care_cases_escalated_total'), 1);
  const audit = dbOf(e.store).prepare("SELECT actor, action, target FROM audit_log WHERE action LIKE 'case.%' ORDER BY id").all();
  t.same(audit, [{ actor: 'system', action: 'case.open', target: String(c.id) }, { actor: 'system', action: 'case.escalate', target: String(c.id) }]);
  const rows = dbOf(e.store).prepare("SELECT json_extract(payload, '$.event') AS event FROM outbox WHERE topic = 'webhook' ORDER BY id").pluck().all();
  t.ok(rows.includes('case.escalated'), 'the escalation is an outbox row');

  // Delivered by the alarm stage's loop, signed like alarm webhooks.
  await e.alarms.deliverWebhooks();
  const esc = e.rx.hits.find((h) => h.body.event === 'case.escalated');
  t.ok(esc, 'delivered to the webhook');
  t.equal(esc!.headers['x-earshot-signature'], `sha256=${createHmac('sha256', SECRET).update(JSON.stringify(esc!.body)).digest('hex')}`);
  t.match(esc!.body.case, { id: c.id, state: 'open', customerHash: 'cust-angry' });

  // Assign, contact, resolve: each audited; a bad move is refused.
  t.equal((await api.supervisor.post(`/cases/${c.id}/assign`, { assignee: 'sam' })).body.case.assignee, 'sam');
  t.equal((await api.supervisor.get('/cases?assignee=sam')).body.cases.length, 1, 'filter: owner');
  t.equal((await api.viewer.post(`/cases/${c.id}/transition`, { to: 'contacted' })).status, 403, 'viewers cannot act');
  t.equal((await api.supervisor.post(`/cases/${c.id}/transition`, { to: 'contacted', note: 'called back, refund promised' })).body.case.state, 'contacted');
  const noOutcome = await api.supervisor.post(`/cases/${c.id}/transition`, { to: 'resolved' });
  t.equal(noOutcome.status, 400, 'resolving needs an outcome');
  const resolved = await api.supervisor.post(`/cases/${c.id}/transition`, { to: 'resolved', outcome: 'refunded' });
  t.match(resolved.body.case, { state: 'resolved', outcome: 'refunded', notes: 'called back, refund promised' });
  const back = await api.supervisor.post(`/cases/${c.id}/transition`, { to: 'contacted' });
  t.equal(back.status, 409);
  t.equal(back.body.error.code, 'EARSHOT_ERR_CASE_TRANSITION');
  t.equal((await api.supervisor.get('/cases?outcome=refunded')).body.cases.length, 1, 'filter: outcome');
  const actions = dbOf(e.store).prepare("SELECT actor || ' ' || action FROM audit_log WHERE action LIKE 'case.%' ORDER BY id").pluck().all();
  t.same(actions.slice(2), ['sam case.assign', 'sam case.contacted', 'sam case.resolved']);

  // The follow-up survey is requested once, as a survey.requested webhook.
  const fu = (await api.supervisor.get(`/cases/${c.id}`)).body.followUp;
  t.match(fu, { rule: 'case-follow-up', caseId: c.id, customerHash: 'cust-angry', kind: 'nps' });
  t.equal((await api.supervisor.post(`/cases/${c.id}/transition`, { to: 'closed' })).body.case.state, 'closed', 'closing keeps the outcome');
  t.equal(dbOf(e.store).prepare('SELECT COUNT(*) FROM survey_requests WHERE case_id = ?').pluck().get(c.id), 1, 'one follow-up per case');
  await e.alarms.deliverWebhooks();
  const req = e.rx.hits.filter((h) => h.body.event === 'survey.requested');
  t.same(req.map((h) => h.body.survey.rule), ['sample', 'case-follow-up'], 'the post-call request (sampled in) and the follow-up');
  t.match(req[1].body.survey, { rule: 'case-follow-up', caseId: c.id, customerHash: 'cust-angry' });

  // The customer answers the follow-up: cased detractors now score as promoters.
  e.clock.now += 2 * HOUR;
  await api.supervisor.post('/surveys', { customerHash: 'cust-angry', kind: 'nps', score: 10 });
  // A detractor no case was opened for (answers written by hand), who answers again, still unhappy.
  dbOf(e.store).prepare("INSERT INTO surveys (customer_hash, kind, score, received_at) VALUES ('cust-other', 'nps', 3, ?), ('cust-other', 'nps', 4, ?)").run(e.clock.now - HOUR, e.clock.now);
  const sum = await api.supervisor.get('/cases/summary?days=30');
  t.same(sum.body.nps.cased, { detractors: 1, answeredAgain: 1, followUpNps: 100 });
  t.same(sum.body.nps.uncased, { detractors: 1, answeredAgain: 1, followUpNps: -100 });
  t.match(sum.body.byGroup, [{ state: 'closed', team: 'care', assignee: 'sam', outcome: 'refunded', n: 1, overdue: 0 }]);
  const rate = await api.supervisor.get('/surveys/response-rate?days=30');
  t.match(rate.body, { requested: 2, answered: 2 }, 'the post-call request (answered by the detractor) and the follow-up (answered)');
  t.match(rate.body.byRule, [{ rule: 'case-follow-up', requested: 1, answered: 1 }, { rule: 'sample', requested: 1, answered: 1 }]);
});

t.test('an alarm rule with case: opens a case for the call\'s customer; supervisors open cases by hand', async (t) => {
  const e = await careEnv(t);
  const api = await serveApi(t, e);
  playCall(e, { agentId: 'a1', customerHash: 'cust-esc', turns: [{ role: 'customer', text: 'i want your manager', categories: ['escalation-request'] }, { role: 'agent', text: 'one moment' }] });
  const list = (await api.supervisor.get('/cases')).body.cases;
  t.equal(list.length, 1);
  t.match(list[0], { origin: 'alarm', reason: 'escalation-request', team: 'care', customerHash: 'cust-esc' });
  const alarm = dbOf(e.store).prepare("SELECT id FROM alarms WHERE rule = 'escalation-request'").pluck().get();
  t.equal(list[0].originRef, String(alarm));

  const r = await api.supervisor.post('/cases', { customerHash: 'cust-vip', reason: 'vip-callback', team: 'retention', slaHours: 4 });
  t.equal(r.status, 201);
  t.match(r.body.case, { origin: 'supervisor', openedBy: 'sam', team: 'retention', dueAt: e.clock.now + 4 * HOUR });
  t.equal((await api.supervisor.post('/cases', { customerHash: 'not a hash!' })).status, 400);
  t.equal((await api.viewer.post('/cases', { customerHash: 'cust-x' })).status, 403);
  t.equal((await api.supervisor.get('/cases/999')).status, 404);
  t.equal((await api.supervisor.get('/cases?team=retention')).body.cases.length, 1, 'filter: team');
  e.clock.now += 3 * HOUR;
  t.equal((await api.supervisor.get('/cases?minAgeHours=2')).body.cases.length, 2, 'filter: age');
  t.equal((await api.supervisor.get('/cases?maxAgeHours=2')).body.cases.length, 0);
});

t.test('the high-risk pool opens a case with its reason, once', async (t) => {
  const e = await careEnv(t, { care: { riskScoreAtLeast: 3 } });
  for (let i = 0; i < 3; i++) {
    playCall(e, { agentId: 'a1', customerHash: 'cust-risky', turns: [{ role: 'customer', text: 'fine', sentiment: 0.1 }, { role: 'agent', text: 'ok' }, { role: 'customer', text: 'awful service', sentiment: -0.9 }, { role: 'customer', text: 'terrible', sentiment: -0.9 }] });
    e.clock.now += HOUR;
  }
  playCall(e, { agentId: 'a1', customerHash: 'cust-fine', turns: [{ role: 'customer', text: 'thanks', sentiment: 0.5 }] });
  t.equal(e.care.tick().opened, 1);
  t.equal(e.care.tick().opened, 0, 'not again while the case is open');
  const c = e.store.repos.cases.list({ now: e.clock.now, limit: 10 });
  t.match(c, [{ origin: 'risk', reason: 'negative-calls', customerHash: 'cust-risky' }]);
});

t.test('churn seeds: contact frequency halved, or a competitor named twice, enter the risk pool with the reason', async (t) => {
  const DAY = 24 * HOUR;
  const e = await careEnv(t, { care: { riskScoreAtLeast: 2 }, surveys: { triggers: [] } }, Date.UTC(2026, 9, 1));
  const calm = [{ role: 'customer' as const, text: 'hi', sentiment: 0.3 }, { role: 'agent' as const, text: 'hello' }];
  // Six calls a month ago, two this month: halved. Another customer: steady four and four.
  for (let i = 0; i < 6; i++) {
    playCall(e, { agentId: 'a1', customerHash: 'cust-fading', turns: calm });
    playCall(e, { agentId: 'a1', customerHash: 'cust-steady', turns: calm });
    e.clock.now += 3 * DAY;
  }
  e.clock.now = Date.UTC(2026, 9, 1) + 50 * DAY;
  for (let i = 0; i < 2; i++) playCall(e, { agentId: 'a1', customerHash: 'cust-fading', turns: calm });
  for (let i = 0; i < 6; i++) playCall(e, { agentId: 'a1', customerHash: 'cust-steady', turns: calm });
  // Competitor named on two calls (once each) vs once.
  for (let i = 0; i < 2; i++) playCall(e, { agentId: 'a1', customerHash: 'cust-shopping', turns: [{ role: 'customer', text: 'brand x is cheaper', sentiment: 0.1, categories: ['competitor-mention'] }] });
  playCall(e, { agentId: 'a1', customerHash: 'cust-once', turns: [{ role: 'customer', text: 'brand x', sentiment: 0.1, categories: ['competitor-mention'] }] });
  e.clock.now += HOUR;
  const { highRiskCustomers } = await import('../../src/kpi/index.js');
  const pool = highRiskCustomers(dbOf(e.store), { since: e.clock.now - 30 * DAY, now: e.clock.now });
  const by = Object.fromEntries(pool.map((r) => [r.customerHash, r.reasons]));
  t.same(by['cust-fading'], ['contact-drop']);
  t.same(by['cust-shopping'], ['competitor']);
  t.notOk(by['cust-steady'], 'steady customers are not at risk');
  t.notOk(by['cust-once'], 'one mention is not a seed');
  t.equal(e.care.tick().opened, 2, 'both open a care case');
  t.same(e.store.repos.cases.list({ now: e.clock.now, limit: 10 }).map((c) => `${c.customerHash}:${c.reason}`).sort(), ['cust-fading:contact-drop', 'cust-shopping:competitor']);
});

t.test('case notes: card numbers, phones, IDs and e-mails a supervisor types are redacted before they are stored', async (t) => {
  const e = await careEnv(t);
  const api = await serveApi(t, e);
  const c = (await api.supervisor.post('/cases', { customerHash: 'cust-pii', reason: 'callback' })).body.case;
  const typed = 'Called back on +1 (555) 010-2233, refunded to card 4532 0151 1283 0366. Her mail is jane.doe@example.com. 客户电话 13812345678';
  const r = await api.supervisor.post(`/cases/${c.id}/transition`, { to: 'contacted', note: typed });
  t.equal(r.status, 200);
  const stored = dbOf(e.store).prepare('SELECT notes FROM cases WHERE id = ?').pluck().get(c.id) as string;
  for (const secret of ['010-2233', '555', '4532', '0366', 'jane.doe', 'example.com', '13812345678']) t.notOk(stored.includes(secret), `${secret} is not stored`);
  t.match(stored, /Called back on \[PHONE\], refunded to card \[CARD\]\. Her mail is \[EMAIL\]\. 客户电话 \[PHONE\]/u, 'the rest of the note is kept as typed');
  t.equal(r.body.case.notes, stored, 'the answer shows what was stored');
  // A second note is appended, also redacted; the audit never carries the text.
  await api.supervisor.post(`/cases/${c.id}/transition`, { to: 'resolved', outcome: 'refunded', note: 'confirmed by sms to 07700 900123, her ID is 11010519491231002X' });
  const both = dbOf(e.store).prepare('SELECT notes FROM cases WHERE id = ?').pluck().get(c.id) as string;
  t.match(both, /\n/u);
  t.notOk(both.includes('900123') || both.includes('1101051949'), 'the appended note too');
  t.match(both.split('\n')[1], /to \[DIGITS\], her ID is \[ID\]/u, 'a number without a phone cue is still taken out');
  const audit = dbOf(e.store).prepare("SELECT group_concat(COALESCE(detail, ''), '|') FROM audit_log").pluck().get() as string;
  t.notOk(/4532|2233|jane|900123/u.test(audit), 'no note text in the audit log');
  for (const type of ['card', 'email', 'id']) t.equal(await counterValue(e.metrics, 'earshot_care_note_redactions_total', { type }), 1, type);
  t.ok((await counterValue(e.metrics, 'earshot_care_note_redactions_total', { type: 'phone' })) >= 2, 'counted by type');
});
