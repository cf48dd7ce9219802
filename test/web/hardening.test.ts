// The API side of issue 15 against a running appliance (startAppliance, default configuration
// but for loopback ports, no SIP front and one configured survey key), over real HTTP: survey
// writes need a supervisor or a survey key; anonymous /readyz shows no file paths; bad alarm rule
// YAML answers 422 with line and column; every error path answers the one error shape.
// /metrics access is tested on the lighter web server with its two settings.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import { ERRORS } from '../../src/errors.js';
import { startAppliance } from '../../src/main.js';
import { createUser } from '../../src/web/index.js';
import { http, sessionOf, type HttpAnswer } from './helpers/http.js';
import { startServer } from './helpers/server.js';
import { dbOf } from '../helpers/db.js';

const PW = 'hardening password';
const SURVEY_KEY = 'survey-key-0123456789abcdef';

async function appliance(t: Test) {
  const dataDir = t.testdir();
  const config = validateConfig({
    dataDir,
    http: { host: '127.0.0.1', port: 0 },
    sip: { front: 'off' },
    speech: { workers: 1 },
    kpi: { surveyKeys: [{ name: 'survey-tool', key: SURVEY_KEY }] },
  });
  const a = await startAppliance(config, { log: pino({ level: 'silent' }) });
  t.teardown(() => a.close());
  const db = dbOf(a.pipeline.store);
  for (const role of ['viewer', 'supervisor', 'admin'] as const) createUser(db, { username: role, role, password: PW });
  const who: Record<string, { cookie: string; csrf: string }> = {};
  for (const role of ['viewer', 'supervisor', 'admin']) who[role] = sessionOf(await http(a.url, '/api/v1/auth/login', { body: { username: role, password: PW } }));
  const as = (role: string, path: string, opts: Parameters<typeof http>[2] = {}) =>
    http(a.url, path, { ...opts, headers: { cookie: who[role].cookie, 'x-csrf-token': who[role].csrf, ...opts.headers } });
  return { a, dataDir, db, as };
}

/** The one error body: `{ error: { code, message, details? } }` with a code from the table. */
function checkShape(t: Test, r: HttpAnswer, status: number, code: string, what: string): void {
  t.equal(r.status, status, `${what}: status`);
  const body = JSON.parse(r.body) as Record<string, any>;
  t.same(Object.keys(body), ['error'], `${what}: only "error" at the top`);
  t.ok(Object.keys(body.error).every((k) => ['code', 'message', 'details'].includes(k)), `${what}: code, message, details only`);
  t.equal(body.error.code, code, `${what}: code`);
  t.ok(Object.hasOwn(ERRORS, body.error.code), `${what}: a documented code`);
  t.type(body.error.message, 'string');
  t.match(r.headers['content-type'], /^application\/json/);
}

t.test('appliance: surveys, readyz, alarm YAML, one error shape', async (t) => {
  const { a, dataDir, db, as } = await appliance(t);
  const call = a.pipeline.calls.open({ ingest: 'import', externalId: 'survey-call', agentId: 'a1' });
  a.pipeline.calls.close(call.info.callId);
  a.pipeline.store.flush();
  const survey = { callId: call.info.callId, kind: 'nps', score: 9 };
  const surveys = () => db.prepare('SELECT COUNT(*) FROM surveys').pluck().get();

  t.test('survey writes: supervisor or survey key; a viewer gets 403', async (t) => {
    checkShape(t, await as('viewer', '/api/v1/surveys', { body: survey }), 403, 'EARSHOT_ERR_FORBIDDEN', 'viewer POST /surveys');
    checkShape(t, await as('viewer', '/api/v1/surveys/import', { body: 'call_id,kind,score\n', headers: { 'content-type': 'text/csv' } }), 403, 'EARSHOT_ERR_FORBIDDEN', 'viewer CSV import');
    t.equal(surveys(), 0, 'nothing stored');
    t.equal((await as('supervisor', '/api/v1/surveys', { body: survey })).status, 201, 'supervisor');
    const byKey = await http(a.url, '/api/v1/surveys', { body: survey, headers: { authorization: `Bearer ${SURVEY_KEY}` } });
    t.equal(byKey.status, 201, 'survey key, no session and no CSRF token');
    checkShape(t, await http(a.url, '/api/v1/surveys', { body: survey, headers: { authorization: 'Bearer not-the-key-0123456789' } }), 401, 'EARSHOT_ERR_UNAUTHENTICATED', 'wrong key');
    checkShape(t, await http(a.url, '/api/v1/nps', { headers: { authorization: `Bearer ${SURVEY_KEY}` } }), 401, 'EARSHOT_ERR_UNAUTHENTICATED', 'the key opens survey writes only');
    t.equal(surveys(), 2);
  });

  t.test('anonymous /readyz names no file paths; a console session sees them', async (t) => {
    const anon = await http(a.url, '/readyz');
    t.equal(anon.status, 200);
    t.notMatch(anon.body, dataDir, 'no data directory');
    t.notMatch(anon.body, /"\/[\w.-]+\//, 'no absolute path at all');
    t.match(anon.json(), { ready: true, checks: { store: { ok: true, detail: '[path]' } } });
    const mine = await as('viewer', '/readyz');
    t.match(mine.json().checks.store.detail, join(dataDir, 'earshot.db'));
  });

  t.test('bad alarm rule YAML: 422 with line and column; nothing stored, the process fine', async (t) => {
    const put = (yaml: string) => as('admin', '/api/v1/rules/alarms/default', { method: 'PUT', body: { yaml } });
    const unresolved = await put('version: 1\nrules:\n  - id: a\n    kind: silence\n    seconds: *later\n');
    checkShape(t, unresolved, 422, 'EARSHOT_ERR_RULES', 'unresolved alias');
    t.match(unresolved.json().error.details.problems[0], { code: 'yaml', line: 5, col: 14 });
    t.match(unresolved.json().error.message, /alias \*later names no anchor/);

    const bomb = ['version: 1', 'a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'rules: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]', ''].join('\n');
    const bombed = await put(bomb);
    checkShape(t, bombed, 422, 'EARSHOT_ERR_RULES', 'alias bomb');
    t.match(bombed.json().error.details.problems[0], { code: 'yaml', line: 4, col: 8 }, 'points at the first alias of an alias');
    t.match(bombed.json().error.message, /too many aliases/);

    const big = `version: 1\nrules: []\n${'# padding line of a comment, 40 chars.\n'.repeat(7000)}`;
    const oversize = await put(big);
    checkShape(t, oversize, 422, 'EARSHOT_ERR_RULES', 'oversize');
    const at = 256 * 1024;
    const line = big.slice(0, at).split('\n').length;
    t.match(oversize.json().error.details.problems[0], { code: 'yaml', line, col: at - big.lastIndexOf('\n', at - 1) });
    const pack = await as('admin', '/api/v1/rules/complaint', { method: 'PUT', body: { yaml: big } });
    checkShape(t, pack, 422, 'EARSHOT_ERR_RULES', 'oversize rule pack');
    t.match(pack.json().error.message, new RegExp(`^db:rule/complaint:${line}:\\d+: larger than 256 KiB`));

    t.equal(db.prepare('SELECT COUNT(*) FROM rules').pluck().get(), 0, 'nothing stored');
    t.equal((await http(a.url, '/healthz')).status, 200);
    const bad = await http(a.url, '/metrics');
    t.match(bad.body, /earshot_bad_input_total\{parser="alarm-rules",reason="yaml-alias"\} 1/);
    t.match(bad.body, /earshot_bad_input_total\{parser="alarm-rules",reason="yaml-alias-bomb"\} 1/);
    t.match(bad.body, /earshot_bad_input_total\{parser="alarm-rules",reason="too-large"\} 1/);
  });

  t.test('every error path answers { error: { code, message, details? } }', async (t) => {
    const cases: [string, Promise<HttpAnswer>, number, string][] = [
      ['anonymous', http(a.url, '/api/v1/calls'), 401, 'EARSHOT_ERR_UNAUTHENTICATED'],
      ['csrf', as('supervisor', '/api/v1/reports', { body: { period: 'day', start: '2026-01-01' }, headers: { 'x-csrf-token': 'forged' } }), 403, 'EARSHOT_ERR_CSRF'],
      ['role', as('viewer', '/api/v1/audit'), 403, 'EARSHOT_ERR_FORBIDDEN'],
      ['no such call', as('viewer', '/api/v1/calls/nope'), 404, 'EARSHOT_ERR_NOT_FOUND'],
      ['no such endpoint', as('viewer', '/api/v1/nothing-here'), 404, 'EARSHOT_ERR_NOT_FOUND'],
      ['schema', as('viewer', '/api/v1/calls?limit=abc'), 400, 'EARSHOT_ERR_BAD_INPUT'],
      ['broken JSON', as('supervisor', '/api/v1/surveys', { body: '{"kind": ', headers: { 'content-type': 'application/json' } }), 400, 'EARSHOT_ERR_BAD_INPUT'],
      ['media type', http(a.url, '/api/v1/auth/login', { body: '<x/>', headers: { 'content-type': 'application/xml' } }), 415, 'EARSHOT_ERR_MEDIA_TYPE'],
      ['too large', http(a.url, '/api/v1/auth/login', { body: { username: 'x', password: 'y'.repeat(70 * 1024) } }), 413, 'EARSHOT_ERR_TOO_LARGE'],
      ['login', http(a.url, '/api/v1/auth/login', { body: { username: 'nobody', password: 'x' } }), 401, 'EARSHOT_ERR_LOGIN'],
      ['no such alarm', as('supervisor', '/api/v1/alarms/999/ack', { body: {} }), 404, 'EARSHOT_ERR_NOT_FOUND'],
      ['conflict', as('admin', '/api/v1/rules/alarms/default', { method: 'PUT', body: { yaml: 'version: 1\nrules: []\n', version: 7 } }), 409, 'EARSHOT_ERR_CONFLICT'],
      ['not ready', as('viewer', `/api/v1/calls/${call.info.callId}/nps-prediction`), 409, 'EARSHOT_ERR_NOT_READY'],
    ];
    for (const [what, p, status, code] of cases) checkShape(t, await p, status, code, what);
    // The login rate limit (20 a minute per address), from an address of its own.
    let last: HttpAnswer | undefined;
    for (let i = 0; i < 21; i++) last = await http(a.url, '/api/v1/auth/login', { body: { username: 'nobody', password: 'x' }, from: '127.0.0.9' });
    checkShape(t, last!, 429, 'EARSHOT_ERR_RATE_LIMITED', 'rate limit');
  });
});

t.test('/metrics behind a bearer token or an allow-list', async (t) => {
  const dir = t.testdir();
  const tokenFile = join(dir, 'metrics.token');
  writeFileSync(tokenFile, 'scrape-token-0123456789\n');
  const s = await startServer(t, { dir, config: { http: { metrics: { tokenFile, allow: ['127.0.0.7/32'] } } } });
  checkShape(t, await http(s.base, '/metrics', { from: '127.0.0.2' }), 401, 'EARSHOT_ERR_UNAUTHENTICATED', 'no token, address not listed');
  checkShape(t, await http(s.base, '/metrics', { from: '127.0.0.2', headers: { authorization: 'Bearer scrape-token-wrong-56789' } }), 401, 'EARSHOT_ERR_UNAUTHENTICATED', 'wrong token');
  const withToken = await http(s.base, '/metrics', { from: '127.0.0.2', headers: { authorization: 'Bearer scrape-token-0123456789' } });
  t.equal(withToken.status, 200, 'the token from the file');
  t.match(withToken.body, /earshot_bad_input_total\{parser="api",reason="metrics-auth"\} 2/);
  t.equal((await http(s.base, '/metrics', { from: '127.0.0.7' })).status, 200, 'an allowed address without a token');
  // The token also unlocks /readyz's details (a monitoring system is trusted).
  s.ready.store = { ok: true, detail: `${dir}/earshot.db` };
  t.match((await http(s.base, '/readyz', { from: '127.0.0.2', headers: { authorization: 'Bearer scrape-token-0123456789' } })).json().checks.store.detail, dir);
  t.same((await http(s.base, '/readyz', { from: '127.0.0.2' })).json().checks.store, { ok: true, detail: '[path]' });

  const open = await startServer(t);
  t.equal((await http(open.base, '/metrics')).status, 200, 'default: open, as Prometheus expects out of the box');
});
