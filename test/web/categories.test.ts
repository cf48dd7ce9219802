// GET /api/v1/categories over the shipped packs and a real SQLite store: every role gets the
// category names in both languages, and a pack saved from the console replaces its file's names.
import t from 'tap';
import { login, startServer } from './helpers/server.js';
import { savePack } from '../../src/analysis/rules/packs.js';
import { dbOf } from '../helpers/db.js';

interface Cat {
  id: string;
  name?: string;
  names: { en?: string; zh?: string };
  pack: string;
  intent?: string;
}

t.test('categories with their names per language, for any role, following console-saved packs', async (t) => {
  const s = await startServer(t, { listen: false });
  const viewer = await login(s.app, 'viewer');
  const get = async () => {
    const res = await s.app.inject({ url: '/api/v1/categories', headers: { cookie: viewer.cookie } });
    t.equal(res.statusCode, 200);
    return (res.json() as { categories: Cat[] }).categories;
  };
  t.equal((await s.app.inject({ url: '/api/v1/categories' })).statusCode, 401, 'a session is needed');
  const cats = await get();
  const churn = cats.find((c) => c.id === 'churn-intent');
  t.match(churn, { name: 'Churn intent', names: { en: 'Churn intent', zh: '流失意向' }, pack: 'churn', intent: 'churn-risk' });
  t.match(cats.find((c) => c.id === 'competitor-mention'), { names: { zh: '提及竞品' }, pack: 'competitor' });
  t.ok(cats.every((c) => c.names.en), 'every rule has at least its plain name');

  // A saved pack with a plain-string name (the older form) replaces the file's rules.
  savePack(dbOf(s.store), 'churn', 'rules:\n  - id: churn-intent\n    name: Leaving\n    speaker: customer\n    when: { phrases: [goodbye forever] }\n', 'admin', Date.now());
  const after = (await get()).find((c) => c.id === 'churn-intent');
  t.same(after?.names, { en: 'Leaving' }, 'no zh name: the console falls back to the plain one');
  t.equal(after?.pack, 'churn');
});
