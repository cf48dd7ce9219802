// The rules API over the shipped rule packs (config/rules and config/alarms, read only) and a
// real SQLite store: precise 422s that change nothing, roles, versioned saves with audit and
// reload, dry runs over stored calls; for analysis packs and alarm rule files alike.
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import type { Metrics } from '../../src/metrics/registry.js';
import type { Store } from '../../src/store/types.js';
import { ruleRoutes } from '../../src/web/routes/rules.js';
import { createAlarms, type AlarmStage } from '../../src/alarms/index.js';
import { createAnalysis } from '../../src/analysis/index.js';
import type { Alarm } from '../../src/call/types.js';
import { validateConfig } from '../../src/config/index.js';
import { ALARMS, RULES, startRulesServer } from './helpers/rules-server.js';
import { login, startServer } from './helpers/server.js';
import { dbOf } from '../helpers/db.js';

const COMPLAINT = readFileSync(`${RULES}complaint.yaml`, 'utf8');
const DAY = 86_400_000;

async function setup(t: Test, reads = false) {
  const { s, reloads, req } = await startRulesServer(t, { reads });
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
  t.equal((bad.json() as { error: { message: string } }).error.message, `db:rule/complaint:${line}:14: rule "complaint" rules[0].speaker: speaker must be one of customer, agent, any (got "boss")`);

  const syntax = await req('admin', 'PUT', '/rules/complaint', { yaml: 'rules:\n  - id: x\n    when: [unclosed\n' });
  t.equal(syntax.statusCode, 422);
  t.match((syntax.json() as { error: { message: string } }).error.message, /^db:rule\/complaint:\d+:\d+: YAML syntax error/);

  // Valid alone, but its id belongs to another pack: the set decides.
  const clash = await req('admin', 'PUT', '/rules/complaint', { yaml: `${COMPLAINT}\n  - id: churn-intent\n    when: { phrases: [cancel] }\n` });
  t.equal(clash.statusCode, 422);
  const churnLine = readFileSync(`${RULES}churn.yaml`, 'utf8').split('\n').findIndex((l) => l.includes('id: churn-intent')) + 1;
  t.match((clash.json() as { error: { details: { errors: string[] } } }).error.details.errors.join('\n'), new RegExp(`rule "churn-intent": id already used at .*churn.yaml:${churnLine}`));

  t.equal(dbOf(s.store).prepare('SELECT COUNT(*) FROM rules').pluck().get(), 0, 'nothing stored');
  t.same(reloads, [], 'the running set is not touched');
  t.equal(dbOf(s.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'rule.update'").pluck().get(), 0);
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total'), /parser="rules",reason="invalid"} 3/);
});

t.test('an admin save stores the next version, audits it and reloads', async (t) => {
  const { s, reloads, req } = await setup(t);
  const edited = COMPLAINT.replace('phrases: [$bad-service,', 'phrases: [outrageous, $bad-service,');
  t.not(edited, COMPLAINT);
  const r1 = await req('admin', 'PUT', '/rules/complaint', { yaml: edited, version: 0 });
  t.equal(r1.statusCode, 200);
  t.match(r1.json(), { pack: { id: 'complaint', origin: 'db', version: 1, updatedBy: 'admin' }, reloaded: true });
  const r2 = await req('admin', 'PUT', '/rules/complaint', { yaml: `${edited}\n# second\n`, version: 1 });
  t.match(r2.json(), { pack: { version: 2 } });
  t.equal((await req('admin', 'PUT', '/rules/complaint', { yaml: edited, version: 1 })).statusCode, 409, 'a stale editor is refused');

  t.same(dbOf(s.store).prepare("SELECT actor, target, detail FROM audit_log WHERE action = 'rule.update' ORDER BY id").all(), [
    { actor: 'admin', target: 'complaint', detail: 'v1' },
    { actor: 'admin', target: 'complaint', detail: 'v2' },
  ]);
  t.equal(reloads.length, 2, 'onRulesChanged once per save');
  t.same(reloads[1], [{ source: 'db:rule/complaint', text: `${edited}\n# second\n` }]);
  const pack = (await req('viewer', 'GET', '/rules/complaint')).json() as { pack: { origin: string; version: number; text: string } };
  t.match(pack.pack, { origin: 'db', version: 2 });
  t.match(pack.pack.text, /outrageous/);
});

// Both paths: on the loop (a store without a read pool) and in the read pool's worker (as `serve` runs it).
for (const reads of [false, true]) t.test(`a dry run shows which stored utterances a rule would hit (${reads ? 'read pool' : 'on the loop'})`, async (t) => {
  const { s, req } = await setup(t, reads);
  t.equal(!!s.store.reads, reads);
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
  t.equal(dbOf(s.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'rule.dry-run' AND actor = 'supervisor'").pluck().get(), 1);

  const bad = await req('supervisor', 'POST', '/rules/dry-run', { yaml: 'rules:\n  - id: x\n    when: { emotion: furious }\n', days: 7 });
  t.equal(bad.statusCode, 422);
  t.match((bad.json() as { error: { message: string } }).error.message, /db:rule\/dry-run:3:\d+: rule "x" rules\[0\]\.when\.emotion: emotion must be one of/);
  t.equal((await req('supervisor', 'POST', '/rules/dry-run', { yaml, days: 365 })).statusCode, 400, 'days bounded');
});

// Alarm rules: the same editor machinery, with the real alarm stage (and the real analysis stage
// in front of it) on the server's bus, so a save is judged by what the next pipeline events raise.
const ALARM_YAML = readFileSync(`${ALARMS}default.yaml`, 'utf8');
const lineOf = (text: string, needle: string, from = 0) => text.split('\n').findIndex((l, i) => i >= from && l.includes(needle)) + 1;

async function setupAlarms(t: Test, reads = false) {
  const late: { store?: Store; metrics?: Metrics; alarms?: AlarmStage } = {};
  const store = { get repos() { return late.store!.repos; }, get reads() { return late.store!.reads; }, audit: (...a: Parameters<Store['audit']>) => late.store!.audit(...a) };
  const metrics: Metrics = { get registry() { return late.metrics!.registry; }, badInput: (p, r) => late.metrics!.badInput(p, r) };
  const config = validateConfig({ analysis: { rulesDir: RULES, serModel: '' }, alarms: { rulesDir: ALARMS } });
  const s = await startServer(t, {
    listen: false,
    reads,
    extend: (app) =>
      void app.register(ruleRoutes({ config, store, metrics, log: pino({ level: 'silent' }), onRulesChanged: () => undefined, onAlarmRulesChanged: (r) => late.alarms!.reloadRules(r) }), { prefix: '/api/v1' }),
  });
  late.store = s.store;
  late.metrics = s.metrics;
  const env = { config: validateConfig({ analysis: { rulesDir: RULES } }), log: pino({ level: 'silent' }), bus: s.bus, store: s.store, metrics: s.metrics };
  const clock = { now: Date.now() };
  const analysis = await createAnalysis(env);
  const alarms = await createAlarms({ ...env, rulesPath: ALARMS, clock: () => clock.now, tickMs: 0, deliveryMs: 0 });
  late.alarms = alarms;
  t.teardown(async () => {
    analysis.close();
    await alarms.close();
  });
  const raised: Alarm[] = [];
  s.bus.on('alarm', (a) => raised.push(a));
  const who = { viewer: await login(s.app, 'viewer'), supervisor: await login(s.app, 'supervisor'), admin: await login(s.app, 'admin') };
  const req = (as: keyof typeof who, method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
    s.app.inject({ method, url: `/api/v1${url}`, headers: { cookie: who[as].cookie, 'x-csrf-token': who[as].csrf }, payload });
  let seq = 0;
  /** A live two-leg call; `say` sends a final transcript through analysis and waits for it. */
  const call = (externalId: string) => {
    const c = s.calls.open({ ingest: 'siprec', externalId, agentId: 'agent-7' });
    const legs = { customer: s.calls.addLeg(c.info.callId, { role: 'customer', label: 'caller' }), agent: s.calls.addLeg(c.info.callId, { role: 'agent', label: 'agent' }) };
    let at = 1000;
    return {
      id: c.info.callId,
      async say(role: 'customer' | 'agent', text: string) {
        const leg = legs[role];
        s.bus.emit('transcript', { callId: c.info.callId, legId: leg.legId, role, seq: ++seq, text, startMs: at, endMs: at + 2500, final: true });
        at += 3000;
        await analysis.idle();
      },
    };
  };
  return { s, req, alarms, clock, raised, call };
}

t.test('an admin saves an alarm threshold: live on the next event, open alarms, cooldowns and escalations kept', async (t) => {
  const { s, req, alarms, clock, raised, call } = await setupAlarms(t);
  const rulesOf = (callId: string) => raised.filter((a) => a.callId === callId).map((a) => a.rule);

  const a = call('a');
  await a.say('customer', 'I was thinking about moving to contoso');
  t.same(rulesOf(a.id), [], 'one competitor mention: below the shipped count of 2');
  await a.say('customer', 'I want to speak to your supervisor right now');
  await a.say('customer', 'this is stupid you are an idiot');
  // Abuse is anger too: the negative-emotion alarm (customer-angry) comes with it; leaving for a
  // rival, demanding a supervisor and insults are three negative customer turns in a row (streak).
  t.same(rulesOf(a.id).sort(), ['abusive-language', 'customer-angry', 'customer-negative-streak', 'escalation-request'], 'open alarms of a call in progress');
  const abusive = raised.find((x) => x.rule === 'abusive-language')!;

  // Lower the competitor threshold to one mention and switch abusive-language off.
  const edited = ALARM_YAML.replace(/(id: competitor-mentioned[\s\S]*?count:) 2/, '$1 1').replace(/(id: abusive-language\n)/, '$1    enabled: false\n');
  t.not(edited, ALARM_YAML);
  const res = await req('admin', 'PUT', '/rules/alarms/default', { yaml: edited, version: 0 });
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json(), { file: { id: 'default', name: 'default.yaml', origin: 'db', version: 1, updatedBy: 'admin' }, reloaded: true });
  t.match(alarms.rules().find((r) => r.id === 'competitor-mentioned'), { count: 1 }, 'the stage runs the new set');

  const b = call('b');
  await b.say('customer', 'contoso offered me a better price');
  t.same(rulesOf(b.id), ['competitor-mentioned'], 'one mention now raises: the new threshold');
  await b.say('customer', 'this is stupid you are an idiot');
  t.notOk(rulesOf(b.id).includes('abusive-language'), 'a disabled rule raises nothing');

  await a.say('customer', 'I want to speak to your supervisor');
  t.equal(rulesOf(a.id).filter((r) => r === 'escalation-request').length, 1, 'the cooldown of a call in progress survived the reload');
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_alarms_suppressed_total'), /\{rule="escalation-request"\} 1/, 'the repeat was matched and suppressed');
  clock.now += 5 * 60_000;
  t.same(alarms.tick().map((x) => x.id), [abusive.id], 'the open alarm of a now-disabled rule still escalates on time');
  t.equal(s.store.getAlarm(abusive.id!)?.state, 'open');

  t.same(dbOf(s.store).prepare("SELECT actor, target, detail FROM audit_log WHERE action = 'alarm-rule.update'").all(), [{ actor: 'admin', target: 'default', detail: 'v1' }]);
  t.match(dbOf(s.store).prepare("SELECT kind, version, updated_by AS updatedBy FROM rules WHERE id = 'alarm/default'").get(), { kind: 'alarm', version: 1, updatedBy: 'admin' });
  const list = (await req('supervisor', 'GET', '/rules')).json() as { alarmRules: { id: string; origin: string; version: number }[]; packs: { id: string }[] };
  t.match(list.alarmRules, [{ id: 'default', origin: 'db', version: 1 }]);
  t.notOk(list.packs.some((p) => p.id.startsWith('alarm')), 'alarm rows are not analysis packs');

  // A supervisor reads, cannot write; a stale editor is refused.
  const view = await req('supervisor', 'GET', '/rules/alarms/default');
  t.equal(view.statusCode, 200);
  const body = view.json() as { file: { text: string; version: number; file?: string }; rules: { id: string; enabled: boolean; escalateAfterMinutes: number }[] };
  t.equal(body.file.text, edited);
  t.notOk('file' in body.file, 'no server path in the answer');
  t.match(body.rules.find((r) => r.id === 'abusive-language'), { enabled: false, escalateAfterMinutes: 5 });
  t.match(body.rules.find((r) => r.id === 'competitor-mentioned'), { threshold: 'competitor-mention ≥ 1' });
  t.equal((await req('supervisor', 'PUT', '/rules/alarms/default', { yaml: ALARM_YAML, version: 1 })).statusCode, 403, 'supervisor cannot save');
  t.equal((await req('viewer', 'PUT', '/rules/alarms/default', { yaml: ALARM_YAML, version: 1 })).statusCode, 403, 'viewer cannot save');
  const stale = await req('admin', 'PUT', '/rules/alarms/default', { yaml: ALARM_YAML, version: 0 });
  t.equal(stale.statusCode, 409, 'stale version');
  t.match(stale.json(), { error: { code: 'EARSHOT_ERR_CONFLICT', message: /now version 1/, details: { version: 1 } } });
  t.equal(dbOf(s.store).prepare("SELECT version FROM rules WHERE id = 'alarm/default'").pluck().get(), 1, 'nothing overwritten');
  t.equal((await req('admin', 'GET', '/rules/alarms/nope')).statusCode, 404);
});

t.test('a bad alarm rule edit answers 422 naming the rule, the key and the line, is counted, and changes nothing', async (t) => {
  const { s, req, alarms } = await setupAlarms(t);
  const before = alarms.rules();
  const bad = ALARM_YAML.replace(/(id: customer-negative-streak[\s\S]*?count:) 3/, '$1 1');
  const res = await req('admin', 'PUT', '/rules/alarms/default', { yaml: bad, version: 0 });
  t.equal(res.statusCode, 422);
  const body = (res.json() as { error: { message: string; details: { problems: { code: string; rule: string; key: string; line: number; params: Record<string, string> }[] } } }).error;
  t.equal(body.message, 'db:alarm/default: rules[0] (customer-negative-streak).count = 1: must be integer >= 2, <= 50');
  const line = lineOf(bad, 'count: 1', lineOf(bad, 'id: customer-negative-streak'));
  t.match(body.details.problems, [{ code: 'value', rule: 'customer-negative-streak', key: 'count', line, params: { value: '1', expect: 'integer >= 2, <= 50' } }]);

  const syntax = await req('admin', 'PUT', '/rules/alarms/default', { yaml: 'version: 1\nrules:\n  - { id: x, kind: silence\n', version: 0 });
  t.equal(syntax.statusCode, 422);
  t.match(syntax.json(), { error: { code: 'EARSHOT_ERR_RULES', message: /^db:alarm\/default: not valid YAML/, details: { problems: [{ code: 'yaml', line: Number }] } } });
  const unknown = await req('admin', 'PUT', '/rules/alarms/default', { yaml: ALARM_YAML.replace('seconds: 30', 'second: 30'), version: 0 });
  t.match(unknown.json(), { error: { details: { problems: [{ code: 'unknown-key', rule: 'long-silence', key: 'second', line: lineOf(ALARM_YAML, 'seconds: 30') }] } } });

  t.equal(dbOf(s.store).prepare('SELECT COUNT(*) FROM rules').pluck().get(), 0, 'nothing stored');
  t.equal(dbOf(s.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'alarm-rule.update'").pluck().get(), 0, 'nothing audited');
  t.equal(alarms.rules(), before, 'the running set is not touched');
  const counted = await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total');
  t.match(counted, /parser="alarm-rules",reason="schema"} 2/);
  t.match(counted, /parser="alarm-rules",reason="yaml"} 1/);
  t.equal((await req('admin', 'PUT', '/rules/alarms/..%2Fx', { yaml: ALARM_YAML })).statusCode, 400, 'file ids are bounded');
});

for (const reads of [false, true]) t.test(`an alarm dry run counts what each rule would have raised on stored calls (${reads ? 'read pool' : 'on the loop'})`, async (t) => {
  const { s, req } = await setupAlarms(t, reads);
  t.equal(!!s.store.reads, reads);
  const now = Date.now();
  const stored = (id: string, startedAt: number, sentiments: number[], categories: string[]) => {
    s.store.upsertCall({ callId: id, ingest: 'siprec', externalId: id, startedAt, agentId: 'agent-1' });
    s.store.addLeg({ legId: `${id}-c`, callId: id, role: 'customer', label: 'caller' });
    sentiments.forEach((sentiment, i) =>
      s.store.addUtterance({ callId: id, legId: `${id}-c`, role: 'customer', seq: i, text: '[redacted]', lang: 'en', startMs: i * 4000, endMs: i * 4000 + 3000, sentiment, emotion: 'neutral', emotionConfidence: 0.5, categories: [], redactions: 0 }),
    );
    for (const c of categories) s.store.addCallEvent({ callId: id, legId: `${id}-c`, kind: 'category', tMs: 2000, data: { rule: c } });
    s.store.endCall(id, 'ended', startedAt + 60_000);
  };
  stored('d1', now - DAY, [-0.5, -0.6, 0.2], []); // two negatives in a row
  stored('d2', now - 2 * DAY, [0.1], ['competitor-mention']);
  stored('d3', now - 30 * DAY, [-0.5, -0.6], ['competitor-mention']); // outside the window
  s.store.flush();
  const yaml = ALARM_YAML.replace(/(id: customer-negative-streak[\s\S]*?count:) 3/, '$1 2').replace(/(id: competitor-mentioned[\s\S]*?count:) 2/, '$1 1');
  t.equal((await req('viewer', 'POST', '/rules/alarms/dry-run', { yaml, days: 7 })).statusCode, 403, 'viewer cannot dry-run');
  const res = await req('supervisor', 'POST', '/rules/alarms/dry-run', { yaml, days: 7, id: 'default' });
  t.equal(res.statusCode, 200, res.body);
  const r = res.json() as { calls: number; utterances: number; byRule: Record<string, { hits: number; calls: number }>; hits: { rule: string; callId: string; text: string }[] };
  t.equal(r.calls, 2);
  t.equal(r.utterances, 4);
  t.same(r.byRule['customer-negative-streak'], { hits: 1, calls: 1 });
  t.same(r.byRule['competitor-mentioned'], { hits: 1, calls: 1 });
  t.same(r.byRule['long-silence'], { hits: 0, calls: 0 });
  t.same(r.hits.map((h) => [h.rule, h.callId]).sort(), [['competitor-mentioned', 'd2'], ['customer-negative-streak', 'd1']]);
  const shipped = (await req('supervisor', 'POST', '/rules/alarms/dry-run', { yaml: ALARM_YAML, days: 7, id: 'default' })).json() as typeof r;
  t.same([shipped.byRule['customer-negative-streak'].hits, shipped.byRule['competitor-mentioned'].hits], [0, 0], 'the shipped thresholds raise nothing on the same calls');
  t.equal(dbOf(s.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'alarm-rule.dry-run' AND actor = 'supervisor'").pluck().get(), 2);
  t.equal((await req('supervisor', 'POST', '/rules/alarms/dry-run', { yaml: 'version: 2\nrules: []\n', days: 7 })).statusCode, 422);
});
