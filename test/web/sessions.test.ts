// Console sessions and the live websocket, over real HTTP and real websockets on a server with
// the default configuration: a socket closes (4401) when its session ends, by logout, idle time,
// or the real CLI changing the user's role or deleting them; Origin is checked with its scheme;
// HSTS only comes with TLS (the https case is in api.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import WebSocket from 'ws';
import { startServer, type TestServer } from './helpers/server.js';
import { http } from './helpers/http.js';
import { PASSWORD } from './helpers/server.js';
import { dbOf } from '../helpers/db.js';

async function loginHttp(s: TestServer, username: string) {
  const r = await http(s.base, '/api/v1/auth/login', { body: { username, password: PASSWORD } });
  const set = [r.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('earshot_sid='));
  if (r.status !== 200 || !set) throw new Error(`login ${username}: ${r.status} ${r.body}`);
  return { cookie: set.split(';')[0], csrf: r.json().csrf as string };
}

/** An open live socket (after its hello) and a promise of its close code. */
async function live(s: TestServer, cookie: string) {
  const ws = new WebSocket(`${s.base.replace('http', 'ws')}/api/v1/live`, { headers: { cookie } });
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, closed };
}

/** Resolves with the value, or rejects once `ms` have passed: an event-driven wait with a bound. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]);
}

t.test('logout closes that session’s live sockets within a second, and only those', async (t) => {
  const s = await startServer(t);
  const a = await loginHttp(s, 'viewer');
  const b = await loginHttp(s, 'viewer');
  const wa1 = await live(s, a.cookie);
  const wa2 = await live(s, a.cookie);
  const wb = await live(s, b.cookie);
  t.equal(s.app.liveHub.clientCount, 3);
  const started = Date.now();
  t.equal((await http(s.base, '/api/v1/auth/logout', { method: 'POST', body: {}, headers: { cookie: a.cookie, 'x-csrf-token': a.csrf } })).status, 200);
  t.equal(await within(wa1.closed, 1000, 'first socket of the session'), 4401);
  t.equal(await within(wa2.closed, 1000, 'second socket of the session'), 4401);
  t.comment(`closed ${Date.now() - started} ms after the logout was sent`);
  t.equal(wb.ws.readyState, WebSocket.OPEN, 'the other session’s socket stays');
  t.equal(s.app.liveHub.clientCount, 1);
  // The ended session cannot open a new one either.
  await t.rejects(live(s, a.cookie), /upgrade refused: 401/);
  wb.ws.close();
});

t.test('an idle session ends: its socket closes and its cookie stops working', async (t) => {
  let now = Date.UTC(2026, 11, 7, 9);
  const s = await startServer(t, { tuning: { auth: { clock: () => now } } });
  const { cookie } = await loginHttp(s, 'viewer');
  const w = await live(s, cookie);
  now += 29 * 60_000;
  t.equal((await http(s.base, '/api/v1/auth/me', { headers: { cookie } })).status, 200, 'a request at 29 min counts as use');
  now += 29 * 60_000;
  t.equal(w.ws.readyState, WebSocket.OPEN, 'still open 29 min after that request');
  now += 2 * 60_000; // 31 min without a request: past the default 30 min idle limit
  // Re-checked once a second (auth recheck): no request is needed for the socket to go.
  t.equal(await within(w.closed, 2500, 'idle socket'), 4401);
  t.equal((await http(s.base, '/api/v1/auth/me', { headers: { cookie } })).status, 401, 'the idle session is gone');
});

t.test('the 12 h absolute limit ends a session in constant use', async (t) => {
  let now = Date.UTC(2026, 11, 7, 9);
  const s = await startServer(t, { tuning: { auth: { clock: () => now } } });
  const { cookie } = await loginHttp(s, 'viewer');
  const w = await live(s, cookie);
  for (let i = 1; i * 25 < 12 * 60; i++) {
    now += 25 * 60_000;
    if ((await http(s.base, '/api/v1/auth/me', { headers: { cookie } })).status !== 200) t.fail(`refused after ${i * 25} min`);
  }
  t.equal(w.ws.readyState, WebSocket.OPEN, 'open at 11 h 40 min');
  now += 25 * 60_000;
  t.equal(await within(w.closed, 2500, 'socket past 12 h'), 4401);
  t.equal((await http(s.base, '/api/v1/auth/me', { headers: { cookie } })).status, 401);
});

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));
const noCli = existsSync(cli) ? false : 'run `npm run build` first';

t.test('a role or password change or removal by the real CLI closes the user’s sockets', { skip: noCli }, async (t) => {
  const dir = t.testdir();
  const s = await startServer(t, { dir });
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, 'user', ...args], { env: { ...process.env, EARSHOT_DATA_DIR: dir, EARSHOT_LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 30_000 });
  const v = await loginHttp(s, 'viewer');
  const sup = await loginHttp(s, 'supervisor');
  const wv = await live(s, v.cookie);
  const ws = await live(s, sup.cookie);

  const role = run('role', 'viewer', '--role', 'supervisor');
  t.equal(role.status, 0, role.stderr);
  t.match(role.stdout, /user viewer is now supervisor; 1 session\(s\) ended/);
  // The CLI is another process: the server sees the change at its next re-check (1 s).
  t.equal(await within(wv.closed, 2500, 'socket of the re-roled user'), 4401);
  t.equal((await http(s.base, '/api/v1/auth/me', { headers: { cookie: v.cookie } })).status, 401, 'the old session is gone');
  t.equal(ws.ws.readyState, WebSocket.OPEN, 'other users are not affected');
  const relog = await loginHttp(s, 'viewer');
  t.equal((await http(s.base, '/api/v1/auth/me', { headers: { cookie: relog.cookie } })).json().role, 'supervisor', 'a new login has the new role');

  const wr = await live(s, relog.cookie);
  const pw = spawnSync(process.execPath, [cli, 'user', 'passwd', 'viewer', '--password-stdin'], {
    env: { ...process.env, EARSHOT_DATA_DIR: dir, EARSHOT_LOG_LEVEL: 'warn' }, input: 'a brand new password\n', encoding: 'utf8', timeout: 30_000,
  });
  t.equal(pw.status, 0, pw.stderr);
  t.equal(await within(wr.closed, 2500, 'socket after a password change'), 4401);
  t.equal((await http(s.base, '/api/v1/auth/login', { body: { username: 'viewer', password: 'a brand new password' } })).status, 200, 'the new password works');

  const del = run('delete', 'supervisor');
  t.equal(del.status, 0, del.stderr);
  t.equal(await within(ws.closed, 2500, 'socket of the deleted user'), 4401);
  t.equal((await http(s.base, '/api/v1/auth/login', { body: { username: 'supervisor', password: PASSWORD } })).status, 401);
  const audit = dbOf(s.store).prepare("SELECT action, target, detail FROM audit_log WHERE actor = 'cli' ORDER BY id").all();
  t.same(audit, [
    { action: 'user.role', target: 'viewer', detail: 'supervisor' },
    { action: 'user.password', target: 'viewer', detail: null },
    { action: 'user.delete', target: 'supervisor', detail: null },
  ]);
});

t.test('the live socket checks Origin with its scheme; no HSTS over plain http', async (t) => {
  const s = await startServer(t);
  const { cookie } = await loginHttp(s, 'viewer');
  const host = s.base.replace('http://', '');
  const upgrade = (origin: string) =>
    new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(`ws://${host}/api/v1/live`, { headers: { cookie }, origin });
      ws.on('unexpected-response', (_q, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => {
        resolve({ status: 101, body: '' });
        ws.close();
      });
      ws.on('error', () => {});
    });
  t.equal((await upgrade(`http://${host}`)).status, 101, 'own origin');
  const https = await upgrade(`https://${host}`);
  t.equal(https.status, 403, 'same host and port but https: another origin');
  t.equal(JSON.parse(https.body).error.code, 'EARSHOT_ERR_ORIGIN');
  t.equal((await upgrade(`http://${host.replace('127.0.0.1', 'localhost')}`)).status, 403, 'another host name');
  t.equal((await upgrade('null')).status, 403, 'an opaque origin');
  const r = await http(s.base, '/healthz');
  t.equal(r.headers['strict-transport-security'], undefined);
});
