// Alarm rule files with console-saved versions (rules table) in place of their files, located
// problems, and live reloads that keep what calls in progress have built up.
import { join } from 'node:path';
import t from 'tap';
import type { Alarm, Utterance } from '../../src/call/types.js';
import { createAlarms, listAlarmRuleFiles, loadAlarmRuleSet, parseAlarmRules, validateAlarmFile, type AlarmError } from '../../src/alarms/index.js';
import { counterValue, startCall, testEnv, type TestEnv } from './helpers/env.js';
import { dbOf } from '../helpers/db.js';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const FILE = `version: 1
rules:
  - id: neg
    kind: negative-streak
    count: 3
  - id: abuse
    kind: category
    category: abusive-language
    escalateAfterMinutes: 5
`;
const store = (env: TestEnv, id: string, body: string, version = 1) =>
  dbOf(env.store).prepare("INSERT INTO rules (id, version, kind, body, updated_by, updated_at) VALUES (?, ?, 'alarm', ?, 'admin', ?)").run(`alarm/${id}`, version, body, T0);

t.test('stored versions replace their files; a stored-only file joins the set', async (t) => {
  const root = t.testdir({ rules: { 'a.yaml': FILE, 'b.yaml': 'version: 1\nrules:\n  - { id: quiet, kind: silence }\n' } });
  const dir = join(root, 'rules');
  const env = testEnv(root);
  t.teardown(() => env.store.close());
  store(env, 'a', FILE.replace('count: 3', 'count: 4'), 2);
  store(env, 'extra', 'version: 1\nrules:\n  - { id: talk, kind: overtalk, enabled: false }\n');
  t.match(listAlarmRuleFiles(dir, dbOf(env.store)), [
    { id: 'a', name: 'a.yaml', origin: 'db', version: 2, updatedBy: 'admin' },
    { id: 'b', name: 'b.yaml', origin: 'file', version: 0 },
    { id: 'extra', name: 'extra.yaml', origin: 'db', version: 1 },
  ]);
  const set = loadAlarmRuleSet(dir, dbOf(env.store));
  t.same(set.map((r) => r.id), ['neg', 'abuse', 'quiet'], 'disabled rules are left out');
  t.match(set[0], { count: 4 });

  const clash = validateAlarmFile(dir, dbOf(env.store), 'extra', 'version: 1\nrules:\n  - { id: quiet, kind: silence }\n');
  t.notOk(clash.ok);
  t.match(!clash.ok && clash.error.details, [{ code: 'duplicate', rule: 'quiet', message: 'rule id "quiet" is defined in more than one file' }]);
  const ok = validateAlarmFile(dir, dbOf(env.store), 'b', 'version: 1\nrules:\n  - { id: quiet, kind: silence, seconds: 12, enabled: false }\n');
  t.match(ok.ok && ok.fileRules, [{ id: 'quiet', seconds: 12, enabled: false }]);
  t.same(ok.ok && ok.rules.map((r) => r.id), ['neg', 'abuse'], 'the set as it would run');
});

t.test('problems carry the rule, the key and the line', async (t) => {
  const details = (yaml: string) => {
    try {
      parseAlarmRules(yaml, 'x.yaml');
    } catch (err) {
      return (err as AlarmError).details;
    }
    throw new Error('expected a rule error');
  };
  t.match(details(FILE.replace('count: 3', 'count: 1')), [{ code: 'value', rule: 'neg', key: 'count', line: 5, col: 12, params: { value: '1', expect: 'integer >= 2, <= 50' } }]);
  t.match(details(FILE.replace('count: 3', 'cnt: 3')), [{ code: 'unknown-key', rule: 'neg', key: 'cnt', line: 5, col: 5 }]);
  t.match(details(`${FILE}  - { id: neg, kind: silence }\n`), [{ code: 'duplicate', rule: 'neg', key: 'id', line: 10 }]);
  t.match(details(FILE.replace('kind: category', 'kind: categry')), [{ code: 'kind', rule: 'abuse', key: 'kind', line: 7 }]);
  t.match(details('version: 1\nrules:\n  - [\n'), [{ code: 'yaml', line: Number }]);
  t.match(details('version: 2\nrules: []\n'), [{ code: 'shape', line: 1, key: 'version' }]);
});

t.test('the stage starts from the stored version; a stored version that no longer validates falls back to the files', async (t) => {
  const root = t.testdir({ rules: { 'a.yaml': FILE } });
  const dir = join(root, 'rules');
  const env = testEnv(root);
  store(env, 'a', FILE.replace('count: 3', 'count: 5'));
  const s1 = await createAlarms({ ...env, rulesPath: dir, tickMs: 0, deliveryMs: 0 });
  t.match(s1.rules()[0], { id: 'neg', count: 5 });
  await s1.close();
  dbOf(env.store).prepare("UPDATE rules SET body = 'version: 1\nrules:\n  - { id: neg, kind: nope }\n'").run();
  const s2 = await createAlarms({ ...env, rulesPath: dir, tickMs: 0, deliveryMs: 0 });
  t.teardown(async () => {
    await s2.close();
    env.store.close();
  });
  t.match(s2.rules()[0], { id: 'neg', count: 3 }, 'the file is in force');
  t.equal(await counterValue(env.metrics, 'earshot_bad_input_total', { parser: 'alarm-rules', reason: 'stored' }), 1);
});

t.test('a live reload keeps streaks in progress, cooldowns and pending escalations', async (t) => {
  const root = t.testdir({ rules: { 'a.yaml': FILE } });
  const dir = join(root, 'rules');
  const env = testEnv(root);
  const clock = { now: T0 };
  const alarms = await createAlarms({ ...env, rulesPath: dir, clock: () => clock.now, tickMs: 0, deliveryMs: 0 });
  t.teardown(async () => {
    await alarms.close();
    env.store.close();
  });
  const raised: Alarm[] = [];
  env.bus.on('alarm', (a) => raised.push(a));
  const c = startCall(env.bus);
  let seq = 0;
  const neg = () => {
    const u: Utterance = { callId: c.callId, legId: c.customer, role: 'customer', seq: ++seq, text: '[x]', lang: 'en', startMs: seq * 3000, endMs: seq * 3000 + 2000, sentiment: -0.8, emotion: 'angry', emotionConfidence: 1, categories: [], redactions: 0 };
    env.bus.emit('utterance', u);
  };
  const abuse = () => env.bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: seq * 3000, data: { category: 'abusive-language' } });
  neg();
  neg();
  abuse();
  t.same(raised.map((a) => a.rule), ['abuse']);

  // Streak needs 4 now; abuse no longer exists.
  dbOf(env.store).prepare("INSERT INTO rules (id, version, kind, body, updated_at) VALUES ('alarm/a', 1, 'alarm', ?, ?)").run(
    'version: 1\nrules:\n  - { id: neg, kind: negative-streak, count: 4 }\n  - { id: abuse2, kind: category, category: abusive-language, escalateAfterMinutes: 1 }\n',
    T0,
  );
  t.same(alarms.reloadRules().map((r) => r.id), ['neg', 'abuse2'], 'reloaded from the stored version');
  neg();
  t.same(raised.map((a) => a.rule), ['abuse'], 'three in a row: below the new count');
  neg();
  t.same(raised.map((a) => a.rule), ['abuse', 'neg'], 'the fourth fires: the run built before the reload was kept');
  for (let i = 0; i < 4; i++) neg();
  t.same(raised.map((a) => a.rule), ['abuse', 'neg'], 'a new run within the cooldown is suppressed');
  clock.now += 2 * 60_000;
  t.same(alarms.tick(), [], 'the open alarm of the removed rule keeps its own 5 minutes');
  clock.now += 3 * 60_000;
  t.same(alarms.tick().map((a) => a.rule), ['abuse'], 'and escalates then');
});
