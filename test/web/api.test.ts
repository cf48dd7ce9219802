import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { login, PASSWORD, startServer } from './helpers/server.js';
import { dbOf } from '../helpers/db.js';

const badInput = async (metrics: { registry: { getSingleMetricAsString(n: string): Promise<string> } }, reason: string) => {
  const text = await metrics.registry.getSingleMetricAsString('earshot_bad_input_total');
  const m = text.match(new RegExp(`parser="api",reason="${reason}"} (\\d+)`));
  return m ? Number(m[1]) : 0;
};

t.test('every /api/v1 route refuses anonymous requests with 401', async (t) => {
  const s = await startServer(t, {
    listen: false,
    // A route another stage adds later under /api/v1, in its own plugin, is guarded too.
    extend: (app) => void app.register(async (child) => child.get('/api/v1/other-stage/thing', async () => ({ secret: 1 }))),
  });
  const api = s.app.routeList.filter((r) => r.url.startsWith('/api/v1') && r.method !== 'HEAD');
  t.ok(api.length >= 10, `found ${api.length} api routes`);
  t.ok(api.some((r) => r.url === '/api/v1/other-stage/thing'));
  for (const r of api) {
    const url = r.url.replace(/:[a-zA-Z]+/g, '1');
    const res = await s.app.inject({ method: r.method as 'GET', url, payload: r.method === 'POST' ? {} : undefined });
    if (r.url === '/api/v1/auth/login') t.not(res.statusCode, 401, 'login is public');
    else t.equal(res.statusCode, 401, `${r.method} ${r.url} anonymous → 401`);
  }
});

t.test('login, me, logout; wrong passwords lock the account', async (t) => {
  // An injected clock moves past the lockout instead of a sleep.
  let now = Date.now();
  const s = await startServer(t, { listen: false, tuning: { auth: { maxFailures: 3, lockoutMs: 3000, clock: () => now } } });
  const { cookie, csrf, setCookie } = await login(s.app, 'viewer');
  t.equal(setCookie.httpOnly, true);
  t.equal(setCookie.sameSite, 'Strict');
  const me = await s.app.inject({ url: '/api/v1/auth/me', headers: { cookie } });
  t.match(me.json(), { user: 'viewer', role: 'viewer', csrf }, 'me returns user, role and csrf token');
  t.equal(me.headers['cache-control'], 'no-store');

  const out = await s.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, 'x-csrf-token': csrf } });
  t.equal(out.statusCode, 200);
  t.equal((await s.app.inject({ url: '/api/v1/auth/me', headers: { cookie } })).statusCode, 401, 'session gone after logout');

  const attempt = (password: string) =>
    s.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'supervisor', password } });
  t.equal((await attempt('wrong one')).statusCode, 401);
  t.equal((await attempt('wrong two')).statusCode, 401);
  const third = await attempt('wrong three');
  t.equal(third.statusCode, 401, 'third failure locks, answered like any failure');
  const locked = await attempt(PASSWORD);
  t.equal(locked.statusCode, 401, 'right password refused while locked');
  t.notOk(locked.cookies.length, 'no session cookie while locked');
  t.same(locked.json(), third.json(), 'the same body as a wrong password');
  t.equal(locked.json().error.code, 'EARSHOT_ERR_LOGIN');
  now += 3001; // past the 3 s lockout
  t.equal((await attempt(PASSWORD)).statusCode, 200, 'login works again after the lockout');
  t.equal((await s.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'nobody', password: 'x' } })).statusCode, 401);
  const rows = dbOf(s.store).prepare("SELECT action, detail FROM audit_log WHERE actor = 'supervisor' ORDER BY id").all() as { action: string; detail: string | null }[];
  t.same(rows.map((r) => `${r.action}${r.detail ? `:${r.detail}` : ''}`), ['login.failed:invalid', 'login.failed:invalid', 'login.failed:locked', 'login.failed:locked', 'login']);
  const lock = dbOf(s.store).prepare("SELECT actor, target, detail FROM audit_log WHERE action = 'account.locked'").all();
  t.same(lock, [{ actor: 'system', target: 'supervisor', detail: '3 s' }], 'the lock itself is audited once');
});

t.test('login attempts are rate limited per client', async (t) => {
  const s = await startServer(t, { listen: false, tuning: { loginRateLimit: 3 } });
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await s.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'viewer', password: 'nope' } });
    codes.push(r.statusCode);
  }
  t.same(codes, [401, 401, 401, 429]);
});

t.test('CSRF token and roles guard state changes', async (t) => {
  const s = await startServer(t, { listen: false });
  const call = s.calls.open({ ingest: 'import', externalId: 'csrf', agentId: 'a1' });
  const alarm = s.alarms.raise({ callId: call.info.callId, rule: 'anger', severity: 'critical', message: 'customer angry' });
  const sup = await login(s.app, 'supervisor');
  const ack = (headers: Record<string, string>, id = alarm.id) =>
    s.app.inject({ method: 'POST', url: `/api/v1/alarms/${id}/ack`, headers, payload: { comment: 'on it' } });

  const before = await badInput(s.metrics, 'csrf');
  const none = await ack({ cookie: sup.cookie });
  t.equal(none.statusCode, 403);
  t.equal(none.json().error.code, 'EARSHOT_ERR_CSRF');
  t.equal((await ack({ cookie: sup.cookie, 'x-csrf-token': 'forged' })).statusCode, 403);
  t.equal(await badInput(s.metrics, 'csrf'), before + 2, 'csrf rejects counted');

  const viewer = await login(s.app, 'viewer');
  const v = await ack({ cookie: viewer.cookie, 'x-csrf-token': viewer.csrf });
  t.equal(v.statusCode, 403, 'viewer cannot ack');
  t.equal(v.json().error.code, 'EARSHOT_ERR_FORBIDDEN');
  t.equal((await s.app.inject({ url: '/api/v1/audit', headers: { cookie: viewer.cookie } })).statusCode, 403, 'viewer cannot read audit');
  t.equal((await s.app.inject({ url: '/api/v1/audit', headers: { cookie: sup.cookie } })).statusCode, 403, 'supervisor cannot read audit');

  const ok = await ack({ cookie: sup.cookie, 'x-csrf-token': sup.csrf });
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().alarm.state, 'acked');
  t.equal(ok.json().alarm.ackedBy, 'supervisor');
  const again = await ack({ cookie: sup.cookie, 'x-csrf-token': sup.csrf });
  t.equal(again.statusCode, 409, 'acking twice is a conflict');
  t.equal((await ack({ cookie: sup.cookie, 'x-csrf-token': sup.csrf }, 9999)).statusCode, 404);
  const res = await s.app.inject({
    method: 'POST',
    url: `/api/v1/alarms/${alarm.id}/resolve`,
    headers: { cookie: sup.cookie, 'x-csrf-token': sup.csrf },
    payload: { comment: 'talked to agent' },
  });
  t.equal(res.json().alarm.state, 'resolved');

  const admin = await login(s.app, 'admin');
  const audit = await s.app.inject({ url: '/api/v1/audit?action=alarm.ack', headers: { cookie: admin.cookie } });
  t.equal(audit.statusCode, 200);
  t.same(audit.json().entries.map((e: { actor: string }) => e.actor), ['supervisor']);
});

t.test('bad input gets 400 with a message and is counted', async (t) => {
  const s = await startServer(t, { listen: false });
  const sup = await login(s.app, 'supervisor');
  const h = { cookie: sup.cookie, 'x-csrf-token': sup.csrf };
  const body = await s.app.inject({ method: 'POST', url: '/api/v1/alarms/1/ack', headers: h, payload: { comment: 'x'.repeat(2000) } });
  t.equal(body.statusCode, 400);
  t.match(body.json().error.message, /comment/);
  t.equal(await badInput(s.metrics, 'invalid-body'), 1);

  const junk = await s.app.inject({
    method: 'POST',
    url: '/api/v1/alarms/1/ack',
    headers: { ...h, 'content-type': 'application/json' },
    payload: '{"comment": ',
  });
  t.equal(junk.statusCode, 400);
  t.equal(await badInput(s.metrics, 'invalid-json'), 1);

  const q = await s.app.inject({ url: '/api/v1/calls?emotion=furious&limit=9999', headers: h });
  t.equal(q.statusCode, 400);
  t.equal(await badInput(s.metrics, 'invalid-querystring'), 1);
  const p = await s.app.inject({ method: 'POST', url: '/api/v1/alarms/abc/ack', headers: h, payload: {} });
  t.equal(p.statusCode, 400);
  t.equal(await badInput(s.metrics, 'invalid-params'), 1);
  const login400 = await s.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'x' } });
  t.equal(login400.statusCode, 400);
  t.match(login400.json().error.message, /password/);
});

t.test('call search and call detail; viewing a call is audited', async (t) => {
  const s = await startServer(t, { listen: false });
  const a = s.calls.open({ ingest: 'siprec', externalId: 'A', agentId: 'agent-7', queue: 'billing' });
  const b = s.calls.open({ ingest: 'import', externalId: 'B', agentId: 'agent-9', queue: 'sales' });
  const leg = s.calls.addLeg(a.info.callId, { role: 'customer', label: 'caller' });
  s.calls.addLeg(b.info.callId, { role: 'agent', label: 'agent' });
  s.bus.emit('utterance', {
    callId: a.info.callId, legId: leg.legId, role: 'customer', seq: 1, text: 'I want to cancel my account', lang: 'en',
    startMs: 0, endMs: 1500, sentiment: -0.6, emotion: 'angry', emotionConfidence: 0.8, categories: ['cancel-intent'], redactions: 0,
  });
  s.bus.emit('call.event', { callId: a.info.callId, legId: leg.legId, kind: 'category', tMs: 1500, data: { category: 'cancel-intent' } });
  s.alarms.raise({ callId: a.info.callId, rule: 'churn', severity: 'warning', message: 'cancel intent' });
  s.calls.close(b.info.callId);
  s.store.flush();
  const { cookie } = await login(s.app, 'viewer');
  const ids = async (qs: string) => {
    const r = await s.app.inject({ url: `/api/v1/calls?${qs}`, headers: { cookie } });
    t.equal(r.statusCode, 200, qs);
    return (r.json().calls as { callId: string }[]).map((c) => c.callId);
  };
  t.same(await ids('active=1'), [a.info.callId]);
  t.same((await ids('state=ended')), [b.info.callId]);
  t.same(await ids('q=cancel'), [a.info.callId], 'search hits transcript text');
  t.same(await ids('q=100%25'), [], 'LIKE wildcards are literal');
  const windowed = (await s.app.inject({ url: '/api/v1/calls?q=cancel&to=1000000000000', headers: { cookie } })).json();
  t.equal(windowed.searchedFrom, 1000000000000 - 86_400_000, 'a text search without From says which window it covered');
  t.equal((await s.app.inject({ url: '/api/v1/calls?q=cancel&from=0', headers: { cookie } })).json().searchedFrom, undefined, 'with From: the range given');
  t.same(await ids('agent=agent-9'), [b.info.callId]);
  t.same(await ids('emotion=angry'), [a.info.callId]);
  t.same(await ids('category=cancel-intent'), [a.info.callId]);
  t.same((await ids('')).length, 2);

  t.equal(dbOf(s.store).prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'view.call'").pluck().get(), 0);
  const d = await s.app.inject({ url: `/api/v1/calls/${a.info.callId}`, headers: { cookie } });
  t.equal(d.statusCode, 200);
  const call = d.json();
  t.equal(call.agentId, 'agent-7');
  t.equal(call.legs.length, 1);
  t.equal(call.utterances[0].text, 'I want to cancel my account');
  t.same(call.utterances[0].categories, ['cancel-intent']);
  t.equal(call.events[0].kind, 'category');
  t.equal(call.alarms[0].rule, 'churn');
  const audit = dbOf(s.store).prepare("SELECT actor, target FROM audit_log WHERE action = 'view.call'").all();
  t.same(audit, [{ actor: 'viewer', target: a.info.callId }]);
  t.equal((await s.app.inject({ url: '/api/v1/calls/nope', headers: { cookie } })).statusCode, 404);

  const al = await s.app.inject({ url: '/api/v1/alarms?state=open&severity=warning', headers: { cookie } });
  t.equal(al.json().alarms.length, 1);
  t.equal((await s.app.inject({ url: '/api/v1/alarms?rule=other', headers: { cookie } })).json().alarms.length, 0);
  const kpi = await s.app.inject({ url: '/api/v1/kpi/overview', headers: { cookie } });
  t.equal(kpi.statusCode, 200);
  t.equal(kpi.json().totals.calls, 2);
  t.same(kpi.json().emotions.map((e: { emotion: string }) => e.emotion), ['angry']);
  t.equal((await s.app.inject({ url: '/api/v1/kpi/rollups?bucket=hour', headers: { cookie } })).json().rollups.length, 0);
});

t.test('healthz, readyz 503 → 200, metrics pass promtool', async (t) => {
  const s = await startServer(t, { listen: false });
  t.equal((await s.app.inject({ url: '/healthz' })).statusCode, 200);
  s.ready.asr = { ok: false, detail: 'model loading' };
  const r1 = await s.app.inject({ url: '/readyz' });
  t.equal(r1.statusCode, 503);
  t.same(r1.json().checks.asr, { ok: false, detail: 'model loading' });
  s.ready.asr = { ok: true, detail: 'ready' };
  t.equal((await s.app.inject({ url: '/readyz' })).statusCode, 200);

  await login(s.app, 'viewer');
  const m = await s.app.inject({ url: '/metrics' });
  t.equal(m.statusCode, 200);
  t.match(m.body, /earshot_auth_logins_total\{outcome="ok"\} 1/);
  t.match(m.body, /earshot_http_requests_total\{route="\/readyz",method="GET",status="5xx"\} 1/);
  const file = join(t.testdir(), 'metrics.txt');
  writeFileSync(file, m.body);
  // promtool reads the exposition from stdin; a lint problem makes it exit non-zero.
  const out = execFileSync('promtool', ['check', 'metrics'], { input: m.body, timeout: 20_000, encoding: 'utf8' });
  t.equal(out.trim(), '', 'promtool reports no problems');
});

t.test('console and chart.js are served with a strict CSP', async (t) => {
  const s = await startServer(t, { listen: false });
  const index = await s.app.inject({ url: '/' });
  t.equal(index.statusCode, 200);
  t.match(index.headers['content-security-policy'], /script-src 'self'/);
  t.match(index.body, /<html/);
  const chart = await s.app.inject({ url: '/vendor/chart/chart.umd.js' });
  t.equal(chart.statusCode, 200);
  t.match(String(chart.headers['content-type']), /javascript/);
  t.equal((await s.app.inject({ url: '/vendor/chart/package.json' })).statusCode, 404);
});

t.test('with TLS configured the server speaks HTTPS and the session cookie is Secure', async (t) => {
  const dir = t.testdir();
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], {
    timeout: 30_000,
    stdio: 'ignore',
  });
  const s = await startServer(t, { dir, config: { http: { tlsCert: cert, tlsKey: key } } });
  t.match(s.base, /^http:/, 'helper builds an http URL');
  const url = s.base.replace('http:', 'https:');
  const { status, hsts } = await new Promise<{ status: number; hsts: unknown }>((resolve, reject) => {
    const req = request(`${url}/healthz`, { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'] });
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(status, 200, 'HTTPS answers');
  t.equal(hsts, 'max-age=31536000', 'HSTS with TLS');
  const { setCookie } = await login(s.app, 'viewer');
  t.equal(setCookie.secure, true);
  t.equal(setCookie.httpOnly, true);
});
