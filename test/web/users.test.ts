import t from 'tap';
import { createSessions, DEFAULT_AUTH } from '../../src/web/auth/sessions.js';
import { verifyPassword } from '../../src/web/auth/passwords.js';
import { createUser } from '../../src/web/index.js';
import { openTestStore } from './helpers/store.js';
import { dbOf } from '../helpers/db.js';

t.test('createUser validates input and stores an scrypt hash', async (t) => {
  const store = openTestStore(t.testdir());
  t.teardown(() => store.close());
  const u = createUser(dbOf(store), { username: 'li.wei', role: 'supervisor', password: '长城-password-1' });
  t.match(u, { username: 'li.wei', role: 'supervisor' });
  const hash = dbOf(store).prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(u.id) as string;
  t.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.notMatch(hash, /password/);
  t.equal(await verifyPassword('长城-password-1', hash), true);
  t.equal(await verifyPassword('长城-password-2', hash), false);
  t.equal(await verifyPassword('x', 'scrypt$1$2'), false, 'a malformed hash never verifies');

  t.throws(() => createUser(dbOf(store), { username: 'li.wei', role: 'viewer', password: 'long enough pw' }), { code: 'EARSHOT_ERR_USER_EXISTS' });
  t.throws(() => createUser(dbOf(store), { username: 'bad name', role: 'viewer', password: 'long enough pw' }), { code: 'EARSHOT_ERR_USER_INVALID' });
  t.throws(() => createUser(dbOf(store), { username: 'ok', role: 'root' as never, password: 'long enough pw' }), { code: 'EARSHOT_ERR_USER_INVALID' });
  t.throws(() => createUser(dbOf(store), { username: 'ok', role: 'viewer', password: 'short' }), { code: 'EARSHOT_ERR_USER_INVALID' });
});

t.test('sessions expire, are stored hashed and end at logout', async (t) => {
  const store = openTestStore(t.testdir());
  t.teardown(() => store.close());
  createUser(dbOf(store), { username: 'ana', role: 'viewer', password: 'a long password' });
  const now = Date.now();
  const sessions = createSessions(dbOf(store), { ...DEFAULT_AUTH, sessionTtlMs: 60_000, idleMs: 0, clock: () => now });
  const r = await sessions.login('ana', 'a long password', '127.0.0.1');
  if (!r.ok) throw new Error('login failed');
  t.match(r.token, /^[0-9a-f]{64}$/);
  t.equal(dbOf(store).prepare('SELECT COUNT(*) FROM sessions WHERE id = ?').pluck().get(r.token), 0, 'the raw token is not stored');
  t.equal(sessions.get(r.token, { at: now + 1000 })?.user.username, 'ana');
  t.equal(sessions.get(r.token, { at: now + 60_001 }), undefined, 'expired');
  t.equal(sessions.get('not-a-token'), undefined);
  sessions.logout(r.token);
  t.equal(sessions.get(r.token, { at: now + 1000 }), undefined, 'logged out');
});
