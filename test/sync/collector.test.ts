import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import t from 'tap';
import { createMetrics } from '../../src/metrics/registry.js';
import { buildBatch } from '../../src/sync/aggregate.js';
import { createCollector, secretLookup } from '../../src/sync/collector.js';
import { canonicalJson, signBody } from '../../src/sync/sign.js';
import { HOUR, T0, addCall, dirOf, openDb, syncConfig, type Tap } from './helpers.js';

const SECRET = 'a-very-secret-shared-key';

async function setup(t: Tap, opts: { bodyLimit?: number; secret?: (site: string) => string | undefined } = {}) {
  const dir = dirOf(t);
  const metrics = createMetrics({ defaults: false });
  const app = createCollector({
    ...(opts.secret ? { secret: opts.secret } : { secrets: { 'site-a': SECRET } }),
    dbPath: join(dir, 'collector.db'),
    log: pino({ level: 'silent' }),
    metrics,
    bodyLimit: opts.bodyLimit,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/v1/batches`;
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const metricsText = async () => (await fetch(url.replace('/v1/batches', '/metrics'))).text();
  const rows = () => {
    const db = new Database(join(dir, 'collector.db'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const bad = async (reason: string) =>
    (await metrics.registry.getSingleMetric('earshot_bad_input_total')!.get()).values.find(
      (v) => v.labels.parser === 'sync-collector' && v.labels.reason === reason,
    )?.value ?? 0;
  return { post, rows, bad, metricsText };
}

function batchText(t: Tap): string {
  const db = openDb(t);
  for (let i = 0; i < 5; i++) addCall(db, { id: `c${i}`, endedAt: T0 + 10 * 60_000 });
  return canonicalJson(buildBatch(db, syncConfig(), T0, T0 + HOUR));
}

t.test('a signed batch is stored once; a repeat is acknowledged without a second row', async (t) => {
  const { post, rows } = await setup(t);
  const body = batchText(t);
  const first = await post(body, { 'x-earshot-signature': signBody(body, SECRET) });
  t.equal(first.status, 201);
  t.same(await first.json(), { status: 'stored' });
  // Re-serialised with other key order and whitespace: the canonical form still verifies.
  const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(body) as object).reverse()), null, 2);
  const again = await post(reordered, { 'x-earshot-signature': signBody(body, SECRET) });
  t.equal(again.status, 200);
  t.same(await again.json(), { status: 'duplicate' });
  t.equal(rows(), 1);
});

t.test('tampered, unsigned, unknown-site and malformed batches are refused and counted', async (t) => {
  const { post, rows, bad } = await setup(t);
  const body = batchText(t);
  const sig = signBody(body, SECRET);
  const tampered = body.replace('"calls":5', '"calls":50');
  t.not(tampered, body);
  t.equal((await post(tampered, { 'x-earshot-signature': sig })).status, 401, 'changed count');
  t.equal((await post(body, { 'x-earshot-signature': signBody(body, 'another-secret-value') })).status, 401, 'wrong secret');
  t.equal((await post(body)).status, 401, 'no signature');
  t.equal((await post(body, { 'x-earshot-signature': 'sha256=zz' })).status, 401, 'garbage signature');
  t.equal(await bad('bad-signature'), 4);

  const other = body.replace('"siteId":"site-a"', '"siteId":"site-b"');
  t.equal((await post(other, { 'x-earshot-signature': signBody(other, SECRET) })).status, 401, 'unknown site');
  t.equal(await bad('unknown-site'), 1);

  // Validly signed, but the batch id is not the hash of site and period: refused.
  const forged = JSON.parse(body) as { period: { to: number } };
  forged.period.to += 1;
  const forgedText = canonicalJson(forged);
  t.equal((await post(forgedText, { 'x-earshot-signature': signBody(forgedText, SECRET) })).status, 400);
  t.equal(await bad('batch-id'), 1);

  t.equal((await post('{"v":1,', { 'x-earshot-signature': sig })).status, 400);
  t.equal(await bad('not-json'), 1);
  t.equal((await post('{"v":2}', { 'x-earshot-signature': sig })).status, 400);
  t.equal((await post('[]', { 'x-earshot-signature': sig })).status, 400);
  t.equal(await bad('shape'), 2);
  t.equal(rows(), 0, 'nothing stored');

  t.equal((await post(body, { 'x-earshot-signature': sig })).status, 201, 'the genuine batch still goes in');
  t.equal(rows(), 1);
});

t.test('oversized and non-JSON requests are refused and counted, not thrown', async (t) => {
  const { post, rows, bad, metricsText } = await setup(t, { bodyLimit: 2048 });
  const body = batchText(t);
  t.ok(body.length < 2048);
  t.equal((await post(body + ' '.repeat(4096), { 'x-earshot-signature': signBody(body, SECRET) })).status, 413);
  t.equal(await bad('body-too-large'), 1);
  t.equal((await post(body, { 'content-type': 'text/plain', 'x-earshot-signature': signBody(body, SECRET) })).status, 415);
  t.equal(await bad('content-type'), 1);
  t.equal(rows(), 0);
  t.match(await metricsText(), /earshot_collector_batches_total\{result="rejected"\} 2/, 'served on the collector\'s /metrics');
});

t.test('--secret specs: per site, or one shared secret for the others', async (t) => {
  const lookup = secretLookup(['site-a=a-very-secret-shared-key', 'shared-secret-for-all-others']);
  t.equal(lookup('site-a'), SECRET);
  t.equal(lookup('site-z'), 'shared-secret-for-all-others');
  t.equal(secretLookup(['site-b=0123456789abcdef'])('site-a'), undefined);
  t.throws(() => secretLookup(['site-a=short']), { code: 'EARSHOT_ERR_CONFIG' });
  t.throws(() => secretLookup([]), { code: 'EARSHOT_ERR_CONFIG' });
  t.throws(() => createCollector({ dbPath: ':memory:', log: pino({ level: 'silent' }) }), { code: 'EARSHOT_ERR_CONFIG' });
  // The lookup plugs straight into the collector.
  const { post, rows } = await setup(t, { secret: secretLookup(['shared-secret-for-all-others']) });
  const body = batchText(t);
  t.equal((await post(body, { 'x-earshot-signature': signBody(body, 'shared-secret-for-all-others') })).status, 201);
  t.equal(rows(), 1);
});
