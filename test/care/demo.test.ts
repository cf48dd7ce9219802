import t from 'tap';
import { backfillDemo, bestAgentPhrases, purgeDemo } from '../../src/care/index.js';
import { careEnv, playCall } from './helpers/env.js';
import { dbOf } from '../helpers/db.js';

const TABLES = ['calls', 'legs', 'utterances', 'call_events', 'alarms', 'surveys', 'cases', 'survey_requests', 'kpi_rollups', 'call_facts', 'outbox', 'audit_log', 'demo_rows'];

const resolved = [{ role: 'customer' as const, text: 'my order never came', sentiment: -0.5, categories: ['complaint'] }, { role: 'agent' as const, text: 'sent a new one' }, { role: 'customer' as const, text: 'great thanks', sentiment: 0.6 }];

t.test('the demo back-fill writes a month of history; purge removes exactly it', async (t) => {
  const now = Date.UTC(2026, 11, 7, 9, 0);
  const e = await careEnv(t, {}, now - 3 * 86_400_000);
  // Real data first: a call, its detractor answer (a case) and the rollups.
  const real = playCall(e, { agentId: 'agent-real', customerHash: 'cust-real', queue: 'billing', turns: [{ role: 'customer', text: 'hello', sentiment: -0.5 }, { role: 'agent', text: 'hi' }] });
  dbOf(e.store).prepare("INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, 'cust-real', 'nps', 3, ?)").run(real, e.clock.now);
  e.care.onSurvey({ id: 1, customerHash: 'cust-real', kind: 'nps', score: 3, receivedAt: e.clock.now });
  const snapshot = () => Object.fromEntries(TABLES.map((x) => [x, dbOf(e.store).prepare(`SELECT * FROM ${x} ORDER BY 1, 2`).all()]));
  const before = snapshot();
  t.equal(before.cases.length, 1);

  const r = backfillDemo({ store: e.store, config: e.config, log: e.log, metrics: e.metrics }, { now, days: 30, callsPerDay: 20 });
  t.notOk(r.skipped);
  t.ok(r.calls > 500 && r.surveys > 100 && r.alarms > 10 && r.cases > 10, `calls ${r.calls}, surveys ${r.surveys}, alarms ${r.alarms}, cases ${r.cases}`);
  const count = (sql: string) => dbOf(e.store).prepare(sql).pluck().get() as number;
  t.equal(count("SELECT COUNT(*) FROM calls WHERE source = 'demo'"), r.calls);
  t.ok(count("SELECT COUNT(DISTINCT agent_id) FROM calls WHERE source = 'demo'") >= 8, 'several agents');
  t.equal(count("SELECT COUNT(DISTINCT queue) FROM calls WHERE source = 'demo'"), 3, 'three queues');
  t.ok(count("SELECT COUNT(DISTINCT bucket_start) FROM kpi_rollups WHERE bucket = 'day' AND dim = 'site'") >= 29, 'a month of daily rollups');
  t.ok(count("SELECT COUNT(*) FROM cases WHERE state = 'resolved'") > 0 && count("SELECT COUNT(*) FROM cases WHERE state = 'open'") > 0, 'cases in several states');
  t.ok(count('SELECT COUNT(*) FROM survey_requests') > 0, 'follow-ups requested');
  t.equal(count("SELECT COUNT(*) FROM outbox WHERE json_extract(payload, '$.case.customerHash') LIKE 'demo-%'"), 0, 'no demo row reaches a webhook');
  // The coaching panel has something to say about the demo's best agents.
  const phrases = bestAgentPhrases(e.store.repos.coaching, { since: 0, topShare: 0.25 });
  t.ok(phrases.topAgents.includes('agent-ann') || phrases.topAgents.includes('agent-chen'), `top agents ${phrases.topAgents.join(',')}`);
  t.ok(phrases.situations.find((s) => s.situation === 'after-complaint')!.phrases.length > 0);

  t.same(backfillDemo({ store: e.store, config: e.config, log: e.log, metrics: e.metrics }, { now }), { skipped: true, calls: 0, surveys: 0, alarms: 0, cases: 0 }, 'once');

  // A supervisor working a demo case in the console: audited, but nothing goes to the real webhooks.
  const open = dbOf(e.store).prepare("SELECT id FROM cases WHERE state = 'open' AND customer_hash LIKE 'demo-%' LIMIT 1").pluck().get() as number;
  e.care.cases.transition(open, 'resolved', 'sam', { outcome: 'explained' });
  t.equal(count("SELECT COUNT(*) FROM outbox"), before.outbox.length, 'demo cases stay off the webhooks');
  t.equal(count('SELECT COUNT(*) FROM survey_requests WHERE case_id = ' + open), 1, 'its follow-up is recorded (and purged with it)');

  // A live demo-loop replay (external id demo-…) with its alarm, its customer's case and survey.
  playCall(e, { agentId: 'agent-ann', customerHash: 'cust-demo-caller', externalId: 'demo-1765-1', turns: [{ role: 'customer', text: 'thanks it is sorted', sentiment: 0.5 }, { role: 'customer', text: 'i want your manager', categories: ['escalation-request', 'complaint'] }, { role: 'customer', text: 'ok thanks', sentiment: 0.5 }] });
  t.equal(count("SELECT COUNT(*) FROM cases WHERE customer_hash = 'cust-demo-caller'"), 1, 'the loop call opened a case (alarm rule with case:)');
  t.equal(count("SELECT COUNT(*) FROM survey_requests WHERE customer_hash = 'cust-demo-caller'"), 0, 'no survey request for a made-up caller');
  t.equal(count('SELECT COUNT(*) FROM outbox'), before.outbox.length, 'and nothing for the webhooks');

  // A demo chat (conversation id demo-chat-…): not surveyed, purged with the rest.
  playCall(e, { agentId: 'agent-gus', customerHash: 'cust-demo-chatter', externalId: 'demo-chat-1765-1', ingest: 'conversation', turns: resolved });
  t.equal(count("SELECT COUNT(*) FROM survey_requests WHERE customer_hash = 'cust-demo-chatter'"), 0, 'no survey request after a demo chat');

  const removed = purgeDemo(e.store, e.config);
  t.equal(removed.calls, r.calls + 2, 'the back-fill, the live loop\'s call and the demo chat');
  const after = snapshot();
  for (const x of TABLES) t.same(after[x], before[x], `${x}: exactly the real rows remain`);
});
