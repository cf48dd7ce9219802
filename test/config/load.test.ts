import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ConfigError, envNames, loadConfig } from '../../src/config/index.js';

const example = fileURLToPath(new URL('../../config/earshot.example.yaml', import.meta.url));

t.test('defaults load with no file and no env', async (t) => {
  const c = loadConfig({ env: {} });
  t.equal(c.http.port, 8080);
  t.equal(c.speech.engine, 'pocketsphinx');
  t.equal(c.privacy.storeAudio, false);
  t.same(c.webhooks, []);
});

t.test('the example file documents every setting and loads to the defaults', async (t) => {
  const fromFile = loadConfig({ file: example, env: {} });
  t.same(fromFile, loadConfig({ env: {} }));
  const doc = parse((await import('node:fs')).readFileSync(example, 'utf8'));
  for (const [name, path] of envNames()) {
    let o: unknown = doc;
    for (const k of path) o = (o as Record<string, unknown> | undefined)?.[k];
    t.not(o, undefined, `${path.join('.')} (${name}) appears in the example`);
  }
});

t.test('environment overrides, typed', async (t) => {
  const c = loadConfig({ env: { EARSHOT_HTTP_PORT: '9090', EARSHOT_SPEECH_ENGINE: 'sherpa', EARSHOT_PRIVACY_STORE_AUDIO: 'true', EARSHOT_SIP_ALLOW: '["10.0.0.0/8"]' } });
  t.equal(c.http.port, 9090);
  t.equal(c.speech.engine, 'sherpa');
  t.equal(c.privacy.storeAudio, true);
  t.same(c.sip.allow, ['10.0.0.0/8']);
});

const bad: [string, Record<string, unknown>, RegExp][] = [
  ['enum', { speech: { engine: 'whisper' } }, /speech\.engine = "whisper": must be one of "pocketsphinx", "sherpa"/],
  ['range', { http: { port: 70000 } }, /http\.port = 70000: must be integer >= 0, <= 65535/],
  ['type', { limits: { maxCalls: 'many' } }, /limits\.maxCalls = "many": must be integer/],
  ['unknown key with suggestion', { speech: { engnie: 'sherpa' } }, /speech\.engnie: unknown setting \(did you mean "engine"\?\)/],
  ['unknown top-level key', { colour: 'red' }, /colour: unknown setting/],
  ['pattern', { site: { id: 'Main Site' } }, /site\.id = "Main Site": must be string matching/],
  ['cross-field', { rtp: { portMin: 30000, portMax: 20000 } }, /rtp\.portMin \(30000\) must be below rtp\.portMax \(20000\)/],
  ['short secret', { webhooks: [{ url: 'http://x', secret: 'short' }] }, /webhooks\.0\.secret = "short": must be string at least 16 characters/],
];
for (const [name, overrides, msg] of bad) {
  t.test(`bad value (${name}) names the key, the value and what is allowed`, async (t) => {
    t.throws(() => loadConfig({ env: {}, overrides }), { code: 'EARSHOT_ERR_CONFIG', message: msg });
  });
}

t.test('unreadable and malformed files', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'http: [unclosed', 'list.yaml': '- a\n- b\n' });
  t.throws(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} }), { message: /missing\.yaml: cannot read \(ENOENT\)/ });
  t.throws(() => loadConfig({ file: join(dir, 'bad.yaml'), env: {} }), { message: /bad\.yaml: not valid YAML/ });
  t.throws(() => loadConfig({ file: join(dir, 'list.yaml'), env: {} }), { message: /top level must be a mapping/ });
  const e = (() => {
    try {
      loadConfig({ env: { EARSHOT_HTTP_PORT: 'eighty' } });
    } catch (err) {
      return err as ConfigError;
    }
  })();
  t.match(e?.problems, [/http\.port = "eighty"/]);
  writeFileSync(join(dir, 'ok.yaml'), 'http:\n  port: 8181\n');
  t.equal(loadConfig({ file: join(dir, 'ok.yaml'), env: { EARSHOT_HTTP_PORT: '8282' } }).http.port, 8282, 'env beats file');
});

t.test('sync.caFile is read at validation, so `config check` names a bad one', async (t) => {
  const dir = t.testdir({ 'not-pem.txt': 'hello' });
  t.throws(() => loadConfig({ env: {}, overrides: { sync: { caFile: join(dir, 'missing.pem') } } }), { code: 'EARSHOT_ERR_CONFIG', message: /sync\.caFile = .*missing\.pem.*cannot read \(ENOENT\)/ });
  t.throws(() => loadConfig({ env: {}, overrides: { sync: { caFile: join(dir, 'not-pem.txt') } } }), { code: 'EARSHOT_ERR_CONFIG', message: /sync\.caFile = .*not a PEM certificate/ });
});

t.test('privacy.callerSalt and kpi.queueMap are checked with the key named', async (t) => {
  t.throws(() => loadConfig({ env: {}, overrides: { privacy: { callerSalt: 'short' } } }), { code: 'EARSHOT_ERR_CONFIG', message: /privacy\.callerSalt must be empty .* or at least 16 characters/ });
  t.throws(() => loadConfig({ env: {}, overrides: { kpi: { queueMap: [{ agent: '(unclosed', queue: 'billing' }] } } }), { code: 'EARSHOT_ERR_CONFIG', message: /kpi\.queueMap\[0\]\.agent = "\(unclosed": not a regular expression/ });
  t.same(loadConfig({ env: {}, overrides: { kpi: { queueMap: [{ agent: '^20', queue: 'billing' }] } } }).kpi.queueMap, [{ agent: '^20', queue: 'billing' }]);
});
