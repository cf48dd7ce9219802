import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadAlarmRules, parseAlarmRules } from '../../src/alarms/index.js';
import { globMatch } from '../../src/alarms/rules.js';

const defaults = new URL('../../config/alarms/default.yaml', import.meta.url).pathname;

t.test('the shipped rule file is valid and covers every rule kind', async (t) => {
  const rules = loadAlarmRules(defaults);
  t.same([...new Set(rules.map((r) => r.kind))].sort(), ['agent-daily', 'category', 'negative-streak', 'overtalk', 'silence']);
  const streak = rules.find((r) => r.id === 'customer-negative-streak');
  t.match(streak, { count: 3, role: 'customer', cooldownSeconds: 300 }, 'defaults filled in');
});

t.test('errors name the file, the rule and the key', async (t) => {
  const bad = (yaml: string) => {
    try {
      parseAlarmRules(yaml, 'x.yaml');
    } catch (err) {
      return err as { code: string; problems: string[]; message: string };
    }
    throw new Error('expected a rule error');
  };
  t.throws(() => parseAlarmRules('version: 1\nrules: [', 'x.yaml'), { code: 'EARSHOT_ERR_RULES' });
  t.match(bad('version: 1\nrules: [').message, /x\.yaml: not valid YAML/);
  t.match(bad('rules: []').message, /version: 1/);
  t.match(bad('version: 1\nrules:\n  - id: a\n    kind: silnce\n').message, /x\.yaml: rules\[0\] \(a\)\.kind = "silnce": must be one of negative-streak, silence/);
  t.match(bad('version: 1\nrules:\n  - id: a\n    kind: silence\n    second: 5\n').message, /rules\[0\] \(a\): unknown key "second" \(allowed for silence: .*seconds/);
  t.match(bad('version: 1\nrules:\n  - id: a\n    kind: negative-streak\n    count: 1\n').message, /rules\[0\] \(a\)\.count = 1: must be integer >= 2/);
  t.match(bad('version: 1\nrules:\n  - id: a\n    kind: silence\n    severity: loud\n').message, /severity = "loud": must be one of "info", "warning", "critical"/);
  t.match(bad('version: 1\nrules:\n  - id: a\n    kind: agent-daily\n    metric: negative-swings\n').message, /negative-swings needs "atLeast"/);
  t.match(bad('version: 1\nrules:\n  - { id: a, kind: category, category: [ok, "no way"] }\n').message, /rules\[0\] \(a\)\.category = \["ok","no way"\]: must be a category id/);
  const dup = bad('version: 1\nrules:\n  - { id: a, kind: silence }\n  - { id: a, kind: overtalk }\n  - { id: B!, kind: overtalk }\n');
  t.equal(dup.problems.length, 2, 'all problems reported at once');
  t.match(dup.message, /rules\[2\].*\.id = "B!": must be string matching/);
  t.match(dup.message, /rule id "a" is used twice/);
});

t.test('a folder of rule files is one set; disabled rules are dropped; ids unique across files', async (t) => {
  const dir = t.testdir({
    'a.yaml': 'version: 1\nrules:\n  - { id: s, kind: silence, seconds: 10 }\n  - { id: off, kind: overtalk, enabled: false }\n',
    'b.yml': 'version: 1\nrules:\n  - { id: c, kind: category, category: "x.*" }\n',
    'notes.txt': 'ignored',
  });
  t.same(loadAlarmRules(dir).map((r) => r.id), ['s', 'c']);
  writeFileSync(join(dir, 'c.yaml'), 'version: 1\nrules:\n  - { id: s, kind: silence }\n');
  t.throws(() => loadAlarmRules(dir), { code: 'EARSHOT_ERR_RULES', message: /"s" is defined in more than one file/ });
  t.throws(() => loadAlarmRules(join(dir, 'missing')), { code: 'EARSHOT_ERR_RULES', message: /cannot read \(ENOENT\)/ });
});

t.test('category globs', async (t) => {
  t.ok(globMatch('compliance.*.missed', 'compliance.recording-notice.missed'));
  t.notOk(globMatch('compliance.*.missed', 'compliance.recording-notice.met'));
  t.notOk(globMatch('competitor', 'competitors'));
  t.ok(globMatch('sensitive*', 'sensitive.price'));
  t.ok(globMatch(['x', 'pci-*'], 'pci-cvv-spoken'));
  t.notOk(globMatch(['x', 'pci-*'], 'pcx'));
});
