import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/index.js';
import { isAll, natsOptions, nodeName, parseRoles } from '../../src/cluster/config.js';
import { startNode } from '../../src/main.js';

const cfg = (nats: Record<string, unknown>, extra: Record<string, unknown> = {}) => validateConfig({ cluster: { nats, ...extra } });
const code = (f: () => unknown) => {
  try {
    f();
    return 'no error';
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

t.test('--role', async (t) => {
  t.ok(isAll(parseRoles(undefined)), 'all by default');
  t.ok(isAll(parseRoles('ingest,speech,core')));
  t.same([...parseRoles('speech')], ['speech']);
  t.same([...parseRoles(' ingest , core ')].sort(), ['core', 'ingest']);
  t.equal(code(() => parseRoles('asr')), 'EARSHOT_ERR_CLUSTER_ROLE');
  t.equal(code(() => parseRoles(',')), 'EARSHOT_ERR_CLUSTER_ROLE');
});

t.test('a split role without NATS is refused; all without NATS is the single box', async (t) => {
  await t.rejects(startNode(validateConfig({}), { roles: parseRoles('speech') }), { code: 'EARSHOT_ERR_CLUSTER_ROLE' });
});

t.test('secure by default: a NATS server beyond the loopback needs TLS and credentials', async (t) => {
  const dir = t.testdir({ 'ca.pem': 'CA', 'cert.pem': 'CERT', 'key.pem': 'KEY', pass: 'secret\n' });
  t.equal(code(() => natsOptions(cfg({ servers: ['nats://127.0.0.1:4222'] }), 'n')), 'no error', 'loopback is fine in clear');
  t.equal(code(() => natsOptions(cfg({ servers: ['nats://localhost:4222', 'nats://[::1]:4222'] }), 'n')), 'no error');
  t.equal(code(() => natsOptions(cfg({ servers: ['nats://10.0.0.5:4222'] }), 'n')), 'EARSHOT_ERR_CLUSTER_INSECURE', 'clear text to another host is refused');
  t.equal(code(() => natsOptions(cfg({ servers: ['tls://10.0.0.5:4222'], tls: { ca: join(dir, 'ca.pem') } }), 'n')), 'EARSHOT_ERR_CLUSTER_INSECURE', 'TLS without credentials is refused');
  t.equal(code(() => natsOptions(cfg({ servers: ['nats://10.0.0.5:4222'], user: 'speech', passwordFile: join(dir, 'pass') }), 'n')), 'EARSHOT_ERR_CLUSTER_INSECURE', 'credentials in clear are refused');
  const ok = natsOptions(cfg({ servers: ['tls://nats.site:4222'], tls: { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') }, user: 'speech', passwordFile: join(dir, 'pass') }), 'n');
  t.same({ servers: ok.servers, user: ok.user, pass: ok.pass, tls: ok.tls }, { servers: ['tls://nats.site:4222'], user: 'speech', pass: 'secret', tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } }, 'files are read; the password trimmed');
  t.equal(code(() => natsOptions(cfg({ servers: ['nats://10.0.0.5:4222'], allowInsecure: true }), 'n')), 'no error', 'the operator can open it explicitly');
  t.equal(code(() => natsOptions(cfg({ servers: ['nats://127.0.0.1:4222'], user: 'x' }), 'n')), 'EARSHOT_ERR_CONFIG', 'a user needs a password file');
  t.equal(code(() => natsOptions(cfg({ servers: ['tls://10.0.0.5:4222'], tls: { ca: join(dir, 'nope') }, user: 'x', passwordFile: join(dir, 'pass') }), 'n')), 'EARSHOT_ERR_CONFIG', 'an unreadable file is a config error');
  t.equal(code(() => natsOptions(cfg({ servers: ['nats://127.0.0.1:4222'], tls: { cert: join(dir, 'cert.pem') } }), 'n')), 'EARSHOT_ERR_CONFIG', 'cert without key');
  writeFileSync(join(dir, 'x.creds'), 'not a creds file');
  t.ok(natsOptions(cfg({ servers: ['tls://10.0.0.5:4222'], credentials: join(dir, 'x.creds') }), 'n').authenticator, 'a .creds file is an authenticator');
  t.equal(code(() => validateConfig({ cluster: { nats: { servers: ['http://x'] } } })), 'EARSHOT_ERR_CONFIG', 'only nats:// or tls:// URLs');
});

t.test('node names', async (t) => {
  t.equal(nodeName(validateConfig({ cluster: { node: 'speech-1' } })), 'speech-1');
  t.match(nodeName(validateConfig({})), new RegExp(`^[A-Za-z0-9_-]+-${process.pid}$`, 'u'));
});
