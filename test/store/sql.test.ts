import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStore } from '../../src/store/index.js';
import { CATEGORY_ID_SQL, npsSql } from '../../src/store/sql.js';
import { npsClass, npsScore } from '../../src/call/nps.js';
import { categoryId } from '../../src/call/category.js';
import { openTestDb } from '../helpers/db.js';

const log = pino({ level: 'silent' });
const MIGRATION_005 = readFileSync(new URL('../../src/store/migrations/005-dashboard-indexes.sql', import.meta.url), 'utf8');

t.test("the category expression is migration 005's index expression, character for character", async (t) => {
  const bare = CATEGORY_ID_SQL.replaceAll('e.data', 'data');
  const indexes = MIGRATION_005.split('\n').filter((l) => /^CREATE INDEX call_events_(category|category_calls|churn_category)\b/u.test(l));
  t.equal(indexes.length, 3);
  for (const l of indexes.filter((x) => !x.includes('churn'))) t.ok(l.includes(bare), l.slice(0, 60));
  // The churn index's WHERE clause is on the next line.
  t.ok(MIGRATION_005.includes(`${bare} LIKE 'churn%'`));
});

t.test('queries built from the constant use the category indexes (EXPLAIN QUERY PLAN on a real file)', async (t) => {
  const path = join(t.testdir(), 'plan.db');
  const store = openStore({ path, log });
  store.close();
  const db = openTestDb(path);
  t.teardown(() => db.close());
  const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ c: 'x', id: 'refund' }) as { detail: string }[]).map((r) => r.detail).join(' | ');
  t.match(plan(`SELECT ${CATEGORY_ID_SQL} AS id, COUNT(*) FROM call_events e WHERE e.call_id = @c AND e.kind = 'category' GROUP BY 1`), /USING (COVERING )?INDEX call_events_category\b/u);
  t.match(plan(`SELECT e.call_id FROM call_events e WHERE e.kind = 'category' AND ${CATEGORY_ID_SQL} = @id`), /INDEX call_events_category_calls\b/u);
  // risk.ts names the partial churn index (the planner prefers call_events_kind on an empty table);
  // INDEXED BY fails to prepare when the WHERE does not imply the index's.
  t.match(plan(`SELECT e.call_id FROM call_events e INDEXED BY call_events_churn_category WHERE e.kind = 'category' AND ${CATEGORY_ID_SQL} LIKE 'churn%'`), /INDEX call_events_churn_category\b/u);
  // A differently written expression of nearly the same meaning misses them: the checks above can fail.
  const other = "COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule'))";
  t.notMatch(plan(`SELECT e.call_id FROM call_events e WHERE e.kind = 'category' AND ${other} = @id`), /call_events_category_calls/u);
  t.throws(() => plan(`SELECT e.call_id FROM call_events e INDEXED BY call_events_churn_category WHERE e.kind = 'category' AND ${other} LIKE 'churn%'`), /no query solution/u);
});

t.test('the category of an event: TS and SQL agree', async (t) => {
  const path = join(t.testdir(), 'cat.db');
  openStore({ path, log }).close();
  const db = openTestDb(path);
  t.teardown(() => db.close());
  const sql = db.prepare(`SELECT ${CATEGORY_ID_SQL} AS id FROM (SELECT ? AS data) e`).pluck();
  for (const data of [{ category: 'refund' }, { rule: 'churn-intent' }, { category: 'a', rule: 'b' }, {}]) {
    t.equal(sql.get(JSON.stringify(data)) ?? undefined, categoryId({ callId: 'c', kind: 'category', tMs: 0, data }), JSON.stringify(data));
  }
  t.equal(sql.get('not json'), null);
});

t.test('NPS class: the TS function and the SQL predicates agree for every score', async (t) => {
  const path = join(t.testdir(), 'nps.db');
  openStore({ path, log }).close();
  const db = openTestDb(path);
  t.teardown(() => db.close());
  const n = npsSql('s');
  const st = db.prepare(`SELECT CASE WHEN ${n.promoter} THEN 'promoter' WHEN ${n.passive} THEN 'passive' WHEN ${n.detractor} THEN 'detractor' END FROM (SELECT ? AS s)`).pluck();
  for (let s = 0; s <= 10; s++) t.equal(st.get(s), npsClass(s), `score ${s}`);
  t.same([0, 6, 7, 8, 9, 10].map(npsClass), ['detractor', 'detractor', 'passive', 'passive', 'promoter', 'promoter']);
  t.equal(npsScore([10, 9, 8, 0]), 25);
  t.equal(npsScore([]), null);
});
