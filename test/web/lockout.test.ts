// Login lockout as an attacker meets it, over real HTTP from distinct loopback source addresses
// (127.0.0.x), with the default configuration (5 failures, 15 min) and an injected clock instead
// of waiting: the lock ends and takes its failures with it, an attacker cannot keep an account
// locked, and unknown, wrong-password and locked answers cannot be told apart.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { PASSWORD, startServer } from './helpers/server.js';
import { http, sessionOf } from './helpers/http.js';
import { dbOf } from '../helpers/db.js';

const MIN = 60_000;
// The fastify rate limit (20 a minute in real time) would stop the simulated day early; it is
// tested on its own in api.test.ts.
const tuning = (clock: () => number) => ({ auth: { clock }, loginRateLimit: 1_000_000 });

t.test('a lock ends after 15 min with its failure count, and one more typo does not re-lock', async (t) => {
  let now = Date.UTC(2026, 11, 7, 9);
  const s = await startServer(t, { tuning: tuning(() => now) });
  const attempt = (password: string, from: string) => http(s.base, '/api/v1/auth/login', { body: { username: 'supervisor', password }, from });
  for (let i = 0; i < 5; i++) t.equal((await attempt(`wrong ${i}`, '127.0.0.2')).status, 401);
  t.equal((await attempt(PASSWORD, '127.0.0.3')).status, 401, 'locked: the right password from another address is refused');
  now += 14 * MIN;
  t.equal((await attempt(PASSWORD, '127.0.0.3')).status, 401, 'still locked at 14 min (attempts while locked do not extend it)');
  now += MIN + 1;
  t.equal((await attempt('one typo', '127.0.0.3')).status, 401);
  t.equal((await attempt(PASSWORD, '127.0.0.3')).status, 200, 'after the lock one failure is just one failure again');
  const locks = dbOf(s.store).prepare("SELECT actor, target, detail FROM audit_log WHERE action = 'account.locked'").all();
  t.same(locks, [{ actor: 'system', target: 'supervisor', detail: '900 s' }], 'the lock is audited once');
  const blocks = dbOf(s.store).prepare("SELECT target FROM audit_log WHERE action = 'source.blocked'").pluck().all();
  t.same(blocks, ['127.0.0.2'], 'so is the back-off of the guessing address');
});

t.test('an attacker guessing once a minute for two days cannot keep the admin locked out', async (t) => {
  const start = Date.UTC(2026, 11, 7, 0);
  let now = start;
  const s = await startServer(t, { tuning: tuning(() => now) });
  const outcomes: { at: number; ok: boolean }[] = [];
  let attackerChecked = 0;
  let attackerIn = 0;
  for (let minute = 0; minute < 48 * 60; minute++) {
    now = start + minute * MIN;
    const a = await http(s.base, '/api/v1/auth/login', { body: { username: 'admin', password: `guess-${minute}` }, from: '127.0.0.2' });
    if (a.status !== 401) attackerIn++;
    if (minute % 30 === 10) {
      // The real admin, from their own desk, every half hour.
      const r = await http(s.base, '/api/v1/auth/login', { body: { username: 'admin', password: PASSWORD }, from: '127.0.0.3' });
      outcomes.push({ at: minute, ok: r.status === 200 });
      if (r.status === 200) {
        const { cookie, csrf } = sessionOf(r);
        t.equal((await http(s.base, '/api/v1/auth/logout', { method: 'POST', body: {}, headers: { cookie, 'x-csrf-token': csrf } })).status, 200);
      }
    }
  }
  attackerChecked = dbOf(s.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed' AND actor = 'admin'").pluck().get() as number;
  const locks = dbOf(s.store).prepare("SELECT at FROM audit_log WHERE action = 'account.locked' ORDER BY at").pluck().all() as number[];
  const refusedFirstHour = outcomes.filter((o) => o.at < 60 && !o.ok).length;
  const secondDay = outcomes.filter((o) => o.at >= 24 * 60);
  const okSecondDay = secondDay.filter((o) => o.ok).length;
  t.comment(`attacker: 2880 guesses, ${attackerChecked} checked; ${locks.length} locks; admin ok ${outcomes.filter((o) => o.ok).length}/${outcomes.length}, second day ${okSecondDay}/${secondDay.length}`);
  t.equal(attackerIn, 0, 'every guess answered 401');
  t.ok(refusedFirstHour >= 1, 'the attacker does lock the account at first');
  t.ok(attackerChecked < 100, `the attacker's address is in back-off most of the time (${attackerChecked} of 2880 guesses checked)`);
  t.ok(locks.length <= 10, `locks thin out (${locks.length} in 48 h, not one per 15 min)`);
  t.ok(okSecondDay >= secondDay.length - 1, `on the second day the admin gets in (${okSecondDay}/${secondDay.length})`);
  t.ok(outcomes.at(-1)!.ok, 'and at the end');
});

t.test('unknown user, wrong password and locked account get the same answer', async (t) => {
  const now = Date.UTC(2026, 11, 7, 9);
  const s = await startServer(t, { tuning: tuning(() => now) });
  for (let i = 0; i < 5; i++) await http(s.base, '/api/v1/auth/login', { body: { username: 'viewer', password: `nope ${i}` }, from: '127.0.0.4' });
  const ask = (username: string, password: string, from: string) => http(s.base, '/api/v1/auth/login', { body: { username, password }, from });
  const answers = {
    unknown: await ask('no-such-user', PASSWORD, '127.0.0.10'),
    wrong: await ask('supervisor', 'not the password', '127.0.0.11'),
    locked: await ask('viewer', PASSWORD, '127.0.0.12'),
    lockedWrong: await ask('viewer', 'not the password', '127.0.0.13'),
  };
  const shape = (a: (typeof answers)['unknown']) => ({
    status: a.status,
    body: a.body,
    headers: Object.keys(a.headers).filter((h) => !['date', 'x-ratelimit-remaining', 'x-ratelimit-reset'].includes(h)).sort(),
    type: a.headers['content-type'],
    cookie: a.headers['set-cookie'],
  });
  const ref = shape(answers.unknown);
  t.match(ref, { status: 401, cookie: undefined });
  t.same(JSON.parse(ref.body), { error: { code: 'EARSHOT_ERR_LOGIN', message: 'wrong user name or password, or too many attempts: try again later' } });
  for (const [k, a] of Object.entries(answers)) t.same(shape(a), ref, `${k}: same status, headers and body`);
});

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));

t.test('earshot user unlock, the real CLI on the server database, ends a lock at once', { skip: existsSync(cli) ? false : 'run `npm run build` first' }, async (t) => {
  const dir = t.testdir();
  // The server runs on an injected clock, the CLI on the real one: the lock must still be running
  // by the real clock, so the injected time lies in the future (a fixed past date expires).
  const now = Date.UTC(2099, 0, 1, 9);
  const s = await startServer(t, { dir, tuning: tuning(() => now) });
  for (let i = 0; i < 5; i++) await http(s.base, '/api/v1/auth/login', { body: { username: 'supervisor', password: `nope ${i}` }, from: '127.0.0.5' });
  const right = () => http(s.base, '/api/v1/auth/login', { body: { username: 'supervisor', password: PASSWORD }, from: '127.0.0.6' });
  t.equal((await right()).status, 401, 'locked');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, 'user', ...args], { env: { ...process.env, EARSHOT_DATA_DIR: dir, EARSHOT_LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 30_000 });
  const r = run('unlock', 'supervisor');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'user supervisor unlocked\n');
  t.equal((await right()).status, 200, 'the right password works again without waiting');
  const again = run('unlock', 'supervisor');
  t.equal(again.stdout, 'user supervisor unlocked (it was not locked)\n');
  const missing = run('unlock', 'nobody');
  t.equal(missing.status, 1);
  t.match(missing.stderr, /no user named nobody/);
  const audit = dbOf(s.store).prepare("SELECT actor, target, detail FROM audit_log WHERE action = 'user.unlock' ORDER BY id").all();
  t.same(audit, [
    { actor: 'cli', target: 'supervisor', detail: 'was locked' },
    { actor: 'cli', target: 'supervisor', detail: 'was not locked' },
  ]);
});

t.test('back-off keys: an IPv6 /64 is one source, an IPv4-mapped address is its IPv4', async (t) => {
  const { createSourceBackoff, sourceKey } = await import('../../src/web/auth/lockout.js');
  t.equal(sourceKey('::ffff:10.1.2.3'), '10.1.2.3');
  t.equal(sourceKey('10.1.2.3'), '10.1.2.3');
  t.equal(sourceKey('2001:db8:0:1::7'), '2001:db8:0:1::/64');
  t.equal(sourceKey('2001:0db8:0000:0001:ffff:1:2:3'), '2001:db8:0:1::/64');
  t.equal(sourceKey('::1'), '0:0:0:0::/64');
  const b = createSourceBackoff({ maxFailures: 3, baseMs: 1000, maxMs: 8000, maxEntries: 100 });
  // Three failures from three addresses of one /64 put the whole /64 in back-off.
  t.same([b.failure('2001:db8:0:1::a', 0), b.failure('2001:db8:0:1::b', 0), b.failure('2001:db8:0:1::c', 0)].map((r) => r.startedMs), [undefined, undefined, 1000]);
  t.ok(b.blocked('2001:db8:0:1:ffff::1', 500), 'another address of the /64 is refused');
  t.notOk(b.blocked('2001:db8:0:2::a', 500), 'the next /64 is not');
  t.notOk(b.blocked('2001:db8:0:1::a', 1000), 'the block ends');
  // Doubling up to the cap, and a success (an insider's own account) does not reset it.
  const lengths: number[] = [];
  let at = 1000;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 3; i++) {
      const r = b.failure('2001:db8:0:1::a', at);
      if (r.startedMs) lengths.push(r.startedMs);
    }
    b.success('2001:db8:0:1::a', at);
    at += lengths.at(-1)!;
  }
  t.same(lengths, [2000, 4000, 8000, 8000, 8000]);
});
