// The rules API over the shipped rule packs (config/rules and config/alarms, read only) and a
// real SQLite store: precise 422s that change nothing, roles, versioned saves with audit and
// reload, dry runs over stored calls.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import type { RuleSource } from '../../src/analysis/index.js';
import type { Metrics } from '../../src/metrics/registry.js';
import type { Store } from '../../src/store/types.js';
import { ruleRoutes } from '../../src/web/routes/rules.js';
import { login, startServer } from './helpers/server.js';

const RULES = fileURLToPath(new URL('../../config/rules/', import.meta.url));
const ALARMS = fileURLToPath(new URL('../../config/alarms/', import.meta.url));
const COMPLAINT = readFileSync(`${RULES}complaint.yaml`, 'utf8');
const DAY = 86_400_000;

async function setup(t: Test) {
  const reloads: RuleSource[][] = [];
  // startServer opens the store before plugins load but returns it after: the routes read it per request.
  const late: { store?: Store; metrics?: Metrics } = {};
  const store = { get db() { return late.store!.db; }, audit: (...a: Parameters<Store['audit']>) => late.store!.audit(...a) };
  const metrics: Metrics = { get registry() { return late.metrics!.registry; }, badInput: (p, r) => late.metrics!.badInput(p, r) };
  const config = { analysis: { rulesDir: RULES, serModel: '' }, alarms: { rulesDir: ALARMS } };
  const s = await startServer(t, {
    listen: false,
    extend: (app) => void app.register(ruleRoutes({ config, store, metrics, log: pino({ level: 'silent' }), onRulesChanged: (x) => reloads.push(x) }), { prefix: '/api/v1' }),
  });
  late.store = s.store;
  late.metrics = s.metrics;
  const who = { viewer: await login(s.app, 'viewer'), supervisor: await login(s.app, 'supervisor'), admin: await login(s.app, 'admin') };
  const req = (as: keyof typeof who, method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
    s.app.inject({ method, url: `/api/v1${url}`, headers: { cookie: who[as].cookie, 'x-csrf-token': who[as].csrf }, payload });
  return { s, reloads, req };
}

t.test('packs, alarm rules and the QA form are listed for every role', async (t) => {
  const { req } = await setup(t);
  const list = (await req('viewer', 'GET', '/rules')).json() as { packs: { id: string; origin: string; version: number; kind: string }[]; alarmRules: { name: string; text: string }[] };
  t.match(list.packs.find((p) => p.id === 'complaint'), { origin: 'file', version: 0, kind: 'category' });
  t.match(list.packs.find((p) => p.id === 'qa'), { kind: 'scorecard' });
  t.equal(list.alarmRules[0].name, 'default.yaml');
  t.match(list.alarmRules[0].text, /rules:/);
  const qa = (await req('viewer', 'GET', '/rules/qa')).json() as { pack: { text: string }; scorecards: { id: string; items: { label: string; weight: number }[] }[] };
  t.ok(qa.scorecards[0].items.length >= 3, 'the QA form with its items');
  t.match(qa.pack.text, /scorecard:/);
  t.equal((await req('viewer', 'GET', '/rules/nope')).statusCode, 404);
  t.equal((await req('viewer', 'GET', '/rules/..%2Fetc')).statusCode, 400);
});

t.test('a bad edit answers 422 with file, rule and position, and changes nothing', async (t) => {
  const { s, reloads, req } = await setup(t);
  t.equal((await req('viewer', 'PUT', '/rules/complaint', { yaml: COMPLAINT })).statusCode, 403, 'viewer cannot edit');
  t.equal((await req('supervisor', 'PUT', '/rules/complaint', { yaml: COMPLAINT })).statusCode, 403, 'supervisor cannot edit');

  const bad = await req('admin', 'PUT', '/rules/complaint', { yaml: COMPLAINT.replace('speaker: customer', 'speaker: boss') });
  t.equal(bad.statusCode, 422);
  const line = COMPLAINT.split('\n').findIndex((l) => l.includes('speaker: customer')) + 1;
  t.equal((bad.json() as { message: string }).message, `db:rule/complaint:${line}:14: rule "complaint" rules[0].speaker: speaker must be one of customer, agent, any (got "boss")`);

  const syntax = await req('admin', 'PUT', '/rules/complaint', { yaml: 'rules:\n  - id: x\n    when: [unclosed\n' });
  t.equal(syntax.statusCode, 422);
  t.match((syntax.json() as { message: string }).message, /^db:rule\/complaint:\d+:\d+: YAML syntax error/);

  // Valid alone, but its id belongs to another pack: the set decides.
  const clash = await req('admin', 'PUT', '/rules/complaint', { yaml: `${COMPLAINT}\n  - id: churn-intent\n    when: { phrases: [cancel] }\n` });
  t.equal(clash.statusCode, 422);
  t.match((clash.json() as { errors: string[] }).errors.join('\n'), /rule "churn-intent": id already used at .*churn.yaml:3/);

  t.equal(s.store.db.prepare('SELECT COUNT(*) FROM rules').pluck().get(), 0, 'nothing stored');
  t.same(reloads, [], 'the running set is not touched');
  t.equal(s.store.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'rule.update'").pluck().get(), 0);
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total'), /parser="rules",reason="invalid"} 3/);
});

t.test('an admin save stores the next version, audits it and reloads', async (t) => {
  const { s, reloads, req } = await setup(t);
  const edited = COMPLAINT.replace('- unacceptable', '- unacceptable\n            - outrageous');
  const r1 = await req('admin', 'PUT', '/rules/complaint', { yaml: edited, version: 0 });
  t.equal(r1.statusCode, 200);
  t.match(r1.json(), { pack: { id: 'complaint', origin: 'db', version: 1, updatedBy: 'admin' }, reloaded: true });
  const r2 = await req('admin', 'PUT', '/rules/complaint', { yaml: `${edited}\n# second\n`, version: 1 });
  t.match(r2.json(), { pack: { version: 2 } });
  t.equal((await req('admin', 'PUT', '/rules/complaint', { yaml: edited, version: 1 })).statusCode, 409, 'a stale editor is refused');

  t.same(s.store.db.prepare("SELECT actor, target, detail FROM audit_log WHERE action = 'rule.update' ORDER BY id").all(), [
    { actor: 'admin', target: 'complaint', detail: 'v1' },
    { actor: 'admin', target: 'complaint', detail: 'v2' },
  ]);
  t.equal(reloads.length, 2, 'onRulesChanged once per save');
  t.same(reloads[1], [{ source: 'db:rule/complaint', text: `${edited}\n# second\n` }]);
  const pack = (await req('viewer', 'GET', '/rules/complaint')).json() as { pack: { origin: string; version: number; text: string } };
  t.match(pack.pack, { origin: 'db', version: 2 });
  t.match(pack.pack.text, /outrageous/);
});

t.test('a dry run shows which stored utterances a rule would hit', async (t) => {
  const { s, req } = await setup(t);
  const call = (id: string, startedAt: number, lines: [role: 'customer' | 'agent', text: string, emotion?: 'angry'][]) => {
    s.store.upsertCall({ callId: id, ingest: 'siprec', externalId: id, startedAt });
    for (const role of ['customer', 'agent'] as const) s.store.addLeg({ legId: `${id}-${role}`, callId: id, role, label: role });
    return lines.map(([role, text, emotion], i) =>
      s.store.addUtterance({ callId: id, legId: `${id}-${role}`, role, seq: i, text, lang: 'en', startMs: i * 4000, endMs: i * 4000 + 3000, sentiment: emotion ? -0.8 : 0, emotion: emotion ?? 'neutral', emotionConfidence: 0.8, categories: [], redactions: 0 }),
    );
  };
  const now = Date.now();
  const [, refund] = call('c1', now - DAY, [['customer', 'hello'], ['customer', 'I want a refund now, this is unacceptable', 'angry']]);
  call('c2', now - 2 * DAY, [['agent', 'a refund is possible']]);
  call('c3', now - 30 * DAY, [['customer', 'refund please']]);
  const [plain] = call('c4', now - 3 * DAY, [['customer', 'just a refund']]);
  s.store.flush();
  // The second rule refers to a rule of another pack (complaint): the dry run uses the whole set.
  const yaml = `rules:
  - id: refund-ask
    speaker: customer
    when: { phrases: [refund] }
  - id: angry-refund
    speaker: customer
    when: { all: [{ hit: complaint }, { hit: refund-ask }] }
`;
  t.equal((await req('viewer', 'POST', '/rules/dry-run', { yaml, days: 7 })).statusCode, 403, 'viewer cannot dry-run');
  const res = await req('supervisor', 'POST', '/rules/dry-run', { yaml, days: 7, id: 'refunds' });
  t.equal(res.statusCode, 200);
  const body = res.json() as { calls: number; utterances: number; byRule: Record<string, { hits: number; calls: number }>; hits: { rule: string; callId: string; utteranceId: number; text: string }[] };
  t.equal(body.calls, 3, 'calls of the last 7 days');
  t.equal(body.utterances, 4);
  t.same(body.byRule, { 'refund-ask': { hits: 2, calls: 2 }, 'angry-refund': { hits: 1, calls: 1 } });
  t.same(body.hits.map((h) => [h.rule, h.callId, h.utteranceId]).sort(), [['angry-refund', 'c1', refund], ['refund-ask', 'c1', refund], ['refund-ask', 'c4', plain]].sort());
  t.match(body.hits.find((h) => h.callId === 'c4')?.text, 'just a refund');
  t.equal(s.store.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'rule.dry-run' AND actor = 'supervisor'").pluck().get(), 1);

  const bad = await req('supervisor', 'POST', '/rules/dry-run', { yaml: 'rules:\n  - id: x\n    when: { emotion: furious }\n', days: 7 });
  t.equal(bad.statusCode, 422);
  t.match((bad.json() as { message: string }).message, /db:rule\/dry-run:3:\d+: rule "x" rules\[0\]\.when\.emotion: emotion must be one of/);
  t.equal((await req('supervisor', 'POST', '/rules/dry-run', { yaml, days: 365 })).statusCode, 400, 'days bounded');
});
