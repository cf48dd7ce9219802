// Ingest keys from the configuration: every key source resolves to the same SHA-256, nothing else
// of the key is kept, and each mistake stops start-up with the entry named.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { validateConfig } from '../../../src/config/index.js';
import { checkKey, resolveIngestKeys } from '../../../src/ingest/fork/keys.js';

const KEY = 'a-fork-key-of-24-chars!!';
const hex = createHash('sha256').update(KEY).digest('hex');
const cfg = (apiKeys: unknown[]) => validateConfig({ forks: { apiKeys } });

t.test('key, keyFile, keyEnv and keySha256 resolve to the same hash; only the hash is kept', async (t) => {
  const file = path.join(t.testdir(), 'sbc.key');
  writeFileSync(file, `${KEY}\n`);
  const entries = [{ name: 'a', key: KEY }, { name: 'b', keyFile: file }, { name: 'c', keyEnv: 'FORK_KEY_C' }, { name: 'd', keySha256: hex }];
  for (const e of entries) {
    const keys = resolveIngestKeys(cfg([e]), { FORK_KEY_C: KEY });
    t.equal(keys[0].digest?.toString('hex'), hex, `${Object.keys(e)[1]}: same hash`);
    t.notOk(JSON.stringify(keys).includes(KEY), 'the resolved key holds no copy of the key');
    const r = checkKey(keys, 'jambonz', { authorization: `Bearer ${KEY}` }, '127.0.0.1');
    t.ok(r.ok && r.key.name === e.name, 'the entry names the source');
  }
  t.throws(() => resolveIngestKeys(cfg(entries), { FORK_KEY_C: KEY }), /\(b\): same key as a/, 'one key, one source');
});

t.test('mistakes name the entry', async (t) => {
  const bad = (entries: unknown[], re: RegExp, env: NodeJS.ProcessEnv = {}) => t.throws(() => resolveIngestKeys(cfg(entries), env), re);
  bad([{ name: 'x' }], /forks\.apiKeys\[0\] \(x\): audio-fork, jambonz, audiohook, ari need a key/);
  bad([{ name: 'x', key: KEY, keySha256: hex }], /give one of key, keyFile, keyEnv, keySha256/);
  bad([{ name: 'x', keyFile: '/nonexistent/key' }], /keyFile .*cannot read \(ENOENT\)/);
  bad([{ name: 'x', keyEnv: 'MISSING_VAR' }], /missing or shorter than 16/);
  bad([{ name: 'x', keyEnv: 'SHORT' }], /missing or shorter than 16/, { SHORT: 'abc' });
  bad([{ name: 'x', protocols: ['audiosocket'] }], /audiosocket needs allow/);
  bad([{ name: 'x', key: KEY }, { name: 'x', key: `${KEY}2` }], /name used twice/);
  bad([{ name: 'x', key: KEY, protocols: ['jambonz'], clientSecret: 'Y2xpZW50LXNlY3JldC0xMjM0NQ==' }], /clientSecret is only used by audiohook/);
  t.throws(() => cfg([{ name: 'x', keySha256: 'not-hex' }]), /keySha256/, 'a malformed hash is a schema error');
});

t.test('checkKey: closed, missing, wrong, unlisted protocol, source outside allow', async (t) => {
  const keys = resolveIngestKeys(cfg([{ name: 'a', key: KEY, protocols: ['jambonz'], allow: ['10.0.0.0/8'] }]));
  const check = (proto: 'jambonz' | 'ari', h: Record<string, string>, from = '10.1.1.1') => {
    const r = checkKey(keys, proto, h, from);
    return r.ok ? 'ok' : r.reason;
  };
  t.equal(check('ari', { authorization: `Bearer ${KEY}` }), 'closed');
  t.equal(check('jambonz', {}), 'missing-key');
  t.equal(check('jambonz', { 'x-api-key': 'b'.repeat(24) }), 'bad-key');
  t.equal(check('jambonz', { authorization: `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}` }), 'ok');
  t.equal(check('jambonz', { 'x-api-key': KEY }, '192.168.1.1'), 'forbidden-source');
  t.equal(check('jambonz', { 'x-api-key': KEY }, '::ffff:10.2.3.4'), 'ok', 'IPv4-mapped addresses match their IPv4 entry');
});
