import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { buildBatch } from '../../src/sync/aggregate.js';
import { createCollector } from '../../src/sync/collector.js';
import { canonicalJson, signBody } from '../../src/sync/sign.js';
import { HOUR, T0, addCall, dirOf, openDb, syncConfig } from './helpers.js';

const SECRET = 'a-very-secret-shared-key';

/** A self-signed certificate for 127.0.0.1 from the real openssl binary. */
function makeCert(t: { teardown(fn: () => void): void }, dir: string): Promise<{ key: string; cert: string }> {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: 20_000 }, (err) => (err ? reject(err) : resolve({ key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') })));
    t.teardown(() => {
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    });
  });
}

function post(port: number, ca: string, body: string, signature: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/batches', method: 'POST', ca, headers: { 'content-type': 'application/json', 'x-earshot-signature': signature } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test('the collector can serve HTTPS itself', async (t) => {
  const dir = dirOf(t);
  const tls = await makeCert(t, dir);
  const app = createCollector({ secrets: { 'site-a': SECRET }, dbPath: join(dir, 'collector.db'), log: pino({ level: 'silent' }), tls });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  const db = openDb(t);
  for (let i = 0; i < 5; i++) addCall(db, { id: `c${i}`, endedAt: T0 });
  const body = canonicalJson(buildBatch(db, syncConfig(), T0, T0 + HOUR));
  const ok = await post(port, tls.cert, body, signBody(body, SECRET));
  t.equal(ok.status, 201);
  t.same(JSON.parse(ok.body), { status: 'stored' });
  t.equal((await post(port, tls.cert, body, signBody(body, 'some-other-secret-key'))).status, 401);
  // A client that does not trust the certificate cannot talk to it at all.
  await t.rejects(post(port, '', body, signBody(body, SECRET)));
});
