// sync.caFile: a collector whose HTTPS certificate is signed by a private CA (made here with the real
// openssl binary). Without the CA the delivery fails with a counted TLS error and stays queued;
// with it the same batch is delivered exactly once.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import t from 'tap';
import { createMetrics } from '../../src/metrics/registry.js';
import { createCollector } from '../../src/sync/collector.js';
import { createSync, readSyncCa } from '../../src/sync/upstream.js';
import { HOUR, T0, addCall, dirOf, openDb, syncConfig, type Tap, storeOver } from './helpers.js';

const SECRET = 'a-very-secret-shared-key';
const GRACE = 120_000;

function openssl(t: Tap, dir: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { cwd: dir, timeout: 20_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`openssl ${args[0]} failed: ${stderr.slice(0, 300)}`)) : resolve(),
    );
    t.teardown(() => {
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    });
  });
}

/** A private CA and a server certificate for 127.0.0.1 signed by it. */
async function privateCa(t: Tap, dir: string, name: string): Promise<{ ca: string; key: string; cert: string }> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(t, dir, ['req', '-x509', ...ec, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '2', '-subj', `/CN=Earshot test CA ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await openssl(t, dir, ['req', ...ec, '-keyout', `${name}-srv.key`, '-out', `${name}-srv.csr`, '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, `${name}-ext.cnf`), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await openssl(t, dir, ['x509', '-req', '-in', `${name}-srv.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-set_serial', '2',
    '-days', '1', '-extfile', `${name}-ext.cnf`, '-out', `${name}-srv.pem`]);
  return { ca: join(dir, `${name}-ca.pem`), key: readFileSync(join(dir, `${name}-srv.key`), 'utf8'), cert: readFileSync(join(dir, `${name}-srv.pem`), 'utf8') };
}

t.test('a collector behind a private CA: refused without sync.caFile, delivered exactly once with it', async (t) => {
  const dir = dirOf(t);
  const pki = await privateCa(t, dir, 'site');
  const other = await privateCa(t, dir, 'other');
  const db = openDb(t);
  for (let i = 0; i < 5; i++) addCall(db, { id: `c${i}`, endedAt: T0 + i * 60_000 });

  const collectorMetrics = createMetrics({ defaults: false });
  const app = createCollector({
    secrets: { 'site-a': SECRET },
    dbPath: join(dir, 'collector.db'),
    log: pino({ level: 'silent' }),
    metrics: collectorMetrics,
    tls: { key: pki.key, cert: pki.cert },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const addr = app.server.address();
  const url = `https://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/v1/batches`;

  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
  const metrics = createMetrics({ defaults: false });
  const failed = async () => (await metrics.registry.getSingleMetric('earshot_sync_deliveries_total')!.get()).values.find((v) => v.labels.result === 'failed')?.value ?? 0;
  const row = () =>
    db.prepare(`SELECT attempts, delivered_at AS deliveredAt, last_error AS err FROM outbox WHERE topic = 'sync'`).all() as {
      attempts: number;
      deliveredAt: number | null;
      err: string | null;
    }[];
  const stored = () => {
    const c = new Database(join(dir, 'collector.db'), { readonly: true });
    try {
      return (c.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n;
    } finally {
      c.close();
    }
  };

  // 1. The system CAs do not know the private CA: a TLS trust error, counted, kept, and explained.
  const plain = createSync({ config: syncConfig({ url }), log, store: storeOver(db), metrics }, { graceMs: GRACE, inline: true });
  await plain.tick(T0 + HOUR + GRACE);
  await plain.close();
  let rows = row();
  t.equal(rows.length, 1, 'one batch queued');
  t.match(rows[0], { attempts: 1, deliveredAt: null, err: /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/ });
  t.equal(await failed(), 1, 'the failure is counted');
  t.equal(stored(), 0, 'nothing reached the collector');
  const warn = lines.map((l) => JSON.parse(l) as { msg: string; error?: string; hint?: string }).find((l) => l.msg.startsWith('upstream sync delivery failed'));
  t.match(warn, { error: rows[0].err, hint: /not trusted: set sync\.caFile/ }, 'the log says what to do');
  t.notOk(lines.join('').includes(SECRET), 'the secret is not logged');

  // 2. The wrong CA is no better.
  const wrong = createSync({ config: syncConfig({ url, caFile: other.ca }), log, store: storeOver(db), metrics }, { graceMs: GRACE, inline: true });
  await wrong.tick(T0 + 2 * HOUR);
  await wrong.close();
  rows = row();
  t.match(rows[0], { attempts: 2, deliveredAt: null, err: /CERT|UNABLE_TO|SELF_SIGNED/ }, 'a CA that did not sign the collector is refused');
  t.equal(await failed(), 2);

  // 3. The operator sets sync.caFile: the same queued batch is delivered, once.
  const trusted = createSync({ config: syncConfig({ url, caFile: pki.ca }), log, store: storeOver(db), metrics }, { graceMs: GRACE, inline: true });
  await trusted.tick(T0 + 3 * HOUR);
  await trusted.tick(T0 + 3 * HOUR + GRACE);
  await trusted.close();
  rows = row();
  t.equal(rows.length, 3, 'two more periods queued meanwhile');
  t.ok(rows.every((r) => r.deliveredAt !== null && r.err === null), 'all delivered');
  t.equal(rows[0].attempts, 3, 'the first batch took three attempts');
  t.equal(stored(), 3, 'the collector holds each batch once');
  const results = (await collectorMetrics.registry.getSingleMetric('earshot_collector_batches_total')!.get()).values;
  t.same(Object.fromEntries(results.map((v) => [v.labels.result, v.value])), { stored: 3 }, 'no duplicate or rejected delivery');
  t.equal(await failed(), 2, 'no new failure');
});

t.test('sync.caFile is checked at start: missing, unreadable or not a certificate', async (t) => {
  const dir = dirOf(t);
  writeFileSync(join(dir, 'notes.txt'), 'not a certificate\n');
  writeFileSync(join(dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  const cases: [string, RegExp][] = [
    [join(dir, 'missing.pem'), /sync\.caFile = ".*missing\.pem": cannot read \(ENOENT\)/],
    [dir, /sync\.caFile = ".*": cannot read \(EISDIR\)/],
    [join(dir, 'notes.txt'), /sync\.caFile = ".*notes\.txt": not a PEM certificate/],
    [join(dir, 'broken.pem'), /sync\.caFile = ".*broken\.pem": the PEM certificate does not parse/],
  ];
  const base = syncConfig({ url: 'https://127.0.0.1:9/v1/batches' });
  for (const [caFile, message] of cases) {
    // Built around validateConfig, so this holds whether or not config loading checks the file too.
    const config = { ...base, sync: { ...base.sync, caFile } };
    t.throws(() => readSyncCa(config), { code: 'EARSHOT_ERR_CONFIG', message });
    const db = openDb(t, `x-${cases.findIndex((c) => c[0] === caFile)}.db`);
    t.throws(() => createSync({ config, log: pino({ level: 'silent' }), store: storeOver(db), metrics: createMetrics({ defaults: false }) }, { inline: true }), {
      code: 'EARSHOT_ERR_CONFIG',
      message,
    }, 'the sync refuses to start with it');
  }
  t.equal(readSyncCa(syncConfig({})), undefined, 'unset: the system CAs');
});
