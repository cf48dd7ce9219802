// Migration 005's maintained tables (call_facts, emotion_hours, category_hours) against the rows
// they summarise, recomputed from scratch after each kind of write the product makes: calls started
// and ended, queue changes, utterances, category events, alarms, transcript purge, a call deleted
// with its children (cascade), and a summary that is not JSON. Real SQLite file per test.
import t from 'tap';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrationDirs, openStore } from '../../src/store/index.js';
import { migrate } from '../../src/store/migrate.js';
import { purge } from '../../src/store/retention.js';
import type { Store } from '../../src/store/types.js';
import { call, leg, utterance } from './helpers/fixtures.js';
import { dbOf } from '../helpers/db.js';
import { SurveysRepo } from '../../src/store/repos/surveys.js';
import { ConversationsRepo } from '../../src/store/repos/conversations.js';
import { channelMix } from '../../src/web/reports/figures.js';

const H = 3_600_000;
const DAY = 24 * H;

/** The three tables as the triggers keep them, and as they should be computed from the source rows. */
function snapshot(db: Database.Database) {
  const kept = {
    facts: db.prepare('SELECT call_id, started_at, agent_id, queue, channel, state, duration_ms, short, neg_end, sentiment, qa, alarms FROM call_facts ORDER BY call_id').all(),
    emotions: db.prepare('SELECT call_hour, utt_hour, queue, channel, role, emotion, n, round(sentiment, 6) AS s FROM emotion_hours WHERE n != 0 ORDER BY 1, 2, 3, 4, 5, 6').all(),
    categories: db.prepare('SELECT call_hour, channel, category, hits, calls FROM category_hours WHERE hits != 0 ORDER BY 1, 2, 3').all(),
    surveys: db.prepare('SELECT day, kind, agent_id, queue, channel, n, promoters, passives, detractors, score_sum FROM survey_days WHERE n != 0 ORDER BY 1, 2, 3, 4, 5').all(),
    hours: db.prepare(`SELECT hour, agent_id, channel, calls, active, dur_n, round(dur_sum, 3) AS dur_sum, cdur_n, round(cdur_sum, 3) AS cdur_sum, neg_n, round(neg_sum, 6) AS neg_sum,
      qa_n, round(qa_sum, 6) AS qa_sum, alarms FROM call_hours WHERE calls != 0 ORDER BY 1, 2, 3`).all(),
  };
  const want = {
    facts: db
      .prepare(
        `SELECT c.id AS call_id, c.started_at, c.agent_id, c.queue, c.channel, c.state, c.duration_ms,
           CASE WHEN json_valid(c.summary) THEN json_extract(c.summary, '$.kpi.short') END AS short,
           CASE WHEN json_valid(c.summary) THEN json_extract(c.summary, '$.kpi.sentiment.negativeEnd') END AS neg_end,
           CASE WHEN json_valid(c.summary) THEN json_extract(c.summary, '$.kpi.sentiment.customerAvg') END AS sentiment,
           CASE WHEN json_valid(c.summary) THEN (SELECT AVG(json_extract(q.value, '$.score')) FROM json_each(c.summary, '$.qa') q) END AS qa,
           (SELECT COUNT(*) FROM alarms a WHERE a.call_id = c.id) AS alarms
         FROM calls c ORDER BY c.id`,
      )
      .all(),
    emotions: db
      .prepare(
        `SELECT (c.started_at / ${H}) * ${H} AS call_hour, ((c.started_at + u.start_ms) / ${H}) * ${H} AS utt_hour, COALESCE(c.queue, '') AS queue,
           c.channel, u.role, u.emotion, COUNT(*) AS n, round(TOTAL(u.sentiment), 6) AS s
         FROM utterances u JOIN calls c ON c.id = u.call_id GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`,
      )
      .all(),
    categories: db
      .prepare(
        `SELECT (c.started_at / ${H}) * ${H} AS call_hour, c.channel, COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule')) AS category,
           COUNT(*) AS hits, COUNT(DISTINCT e.call_id) AS calls
         FROM call_events e JOIN calls c ON c.id = e.call_id WHERE e.kind = 'category' AND category IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      )
      .all(),
    surveys: db
      .prepare(
        `SELECT (s.received_at / ${DAY}) * ${DAY} AS day, s.kind, COALESCE(c.agent_id, '') AS agent_id, COALESCE(c.queue, '') AS queue, COALESCE(c.channel, '') AS channel,
           COUNT(*) AS n, SUM(s.score >= 9) AS promoters, SUM(s.score >= 7 AND s.score < 9) AS passives, SUM(s.score < 7) AS detractors, TOTAL(s.score) AS score_sum
         FROM surveys s LEFT JOIN calls c ON c.id = s.call_id GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
      )
      .all(),
    hours: db
      .prepare(
        `SELECT (c.started_at / ${H}) * ${H} AS hour, COALESCE(c.agent_id, '') AS agent_id, c.channel, COUNT(*) AS calls, SUM(c.state = 'active') AS active,
           COUNT(c.duration_ms) AS dur_n, round(TOTAL(c.duration_ms), 3) AS dur_sum,
           SUM(COALESCE(f.short, 0) = 0 AND c.duration_ms IS NOT NULL) AS cdur_n, round(TOTAL(CASE WHEN COALESCE(f.short, 0) = 0 THEN c.duration_ms END), 3) AS cdur_sum,
           SUM(COALESCE(f.short, 0) = 0 AND f.neg_end IS NOT NULL) AS neg_n, round(TOTAL(CASE WHEN COALESCE(f.short, 0) = 0 THEN f.neg_end END), 6) AS neg_sum,
           COUNT(f.qa) AS qa_n, round(TOTAL(f.qa), 6) AS qa_sum, SUM((SELECT COUNT(*) FROM alarms a WHERE a.call_id = c.id)) AS alarms
         FROM calls c JOIN call_facts f ON f.call_id = c.id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      )
      .all(),
  };
  return { kept, want };
}

function seed(store: Store, n: number, base: number) {
  for (let i = 0; i < n; i++) {
    // Every third conversation a chat, sharing hours, agents and queues with the calls.
    const c = call(i, { startedAt: base + i * 20 * 60_000, agentId: `agent-${i % 3}`, queue: i % 4 ? `q${i % 2}` : undefined, customerHash: `h${i % 5}`, channel: i % 3 === 2 ? 'chat' : 'voice' });
    store.upsertCall(c);
    const a = leg(c.callId, 'agent');
    const k = leg(c.callId, 'customer');
    store.addLeg(a);
    store.addLeg(k);
    // Utterances run past the hour the call started in: utt_hour differs from call_hour for some.
    for (let s = 0; s < 6; s++) {
      store.addUtterance(utterance(s % 2 ? k : a, s, { startMs: s * 15 * 60_000, emotion: (['angry', 'neutral', 'satisfied'] as const)[(i + s) % 3], sentiment: ((i + s) % 5) / 5 - 0.4 }));
    }
    store.addCallEvent({ callId: c.callId, legId: k.legId, kind: 'category', tMs: 1000, data: { rule: i % 2 ? 'billing' : 'churn-threat' } });
    store.addCallEvent({ callId: c.callId, legId: k.legId, kind: 'category', tMs: 2000, data: { rule: 'billing' } });
    store.addCallEvent({ callId: c.callId, legId: k.legId, kind: 'category', tMs: 3000, data: { category: `cat-${i % 3}` } });
    store.addCallEvent({ callId: c.callId, legId: k.legId, kind: 'speech', tMs: 3000, data: { startMs: 0, endMs: 900 } });
  }
  store.flush();
  const survey = dbOf(store).prepare('INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, ?, ?, ?, ?)');
  for (let i = 0; i < n; i++) survey.run(`call-${i}`, `h${i % 5}`, i % 3 ? 'nps' : 'csat', i % 3 ? i % 11 : 1 + (i % 5), base + i * 5 * H);
  survey.run(null, 'h1', 'nps', 4, base + 30 * H); // tied to no call
}

t.test('triggers keep call_facts, emotion_hours and category_hours equal to a recomputation', async (t) => {
  const dir = t.testdir();
  const store = openStore({ path: join(dir, 'e.db') });
  t.teardown(() => store.close());
  const db = dbOf(store);
  const base = Date.UTC(2026, 0, 5, 9, 10);
  seed(store, 12, base);
  let s = snapshot(db);
  t.same(s.kept, s.want, 'after calls, legs, utterances and events are written');
  t.ok((s.kept.emotions as unknown[]).length > 12 && (s.kept.categories as unknown[]).length > 3, 'the data is not trivial');

  store.endCall('call-1', 'ended', base + 20 * 60_000 + 95_000, { kpi: { short: false, sentiment: { negativeEnd: true, customerAvg: -0.4 } }, qa: [{ score: 60 }, { score: 80 }] });
  store.endCall('call-2', 'ended', base + 40 * 60_000 + 5_000, { kpi: { short: true, sentiment: { negativeEnd: false } }, qa: [] });
  store.insertAlarm({ callId: 'call-1', rule: 'r', severity: 'warning', state: 'open', message: 'm', raisedAt: base + 1 });
  store.insertAlarm({ callId: 'call-1', rule: 'r2', severity: 'critical', state: 'open', message: 'm', raisedAt: base + 2 });
  store.upsertCall(call(3, { startedAt: base + 3 * 20 * 60_000, queue: 'moved' })); // queue known later (SIPREC metadata)
  store.upsertCall(call(0, { startedAt: base, queue: 'first' })); // a call that had no queue gets one
  store.flush();
  dbOf(store).prepare("UPDATE surveys SET score = 10 WHERE call_id = 'call-4'").run();
  dbOf(store).prepare("DELETE FROM surveys WHERE call_id = 'call-7'").run();
  t.equal(store.getCall('call-3')?.queue, 'moved', 'the upsert itself went through (triggers never make it fail)');
  t.equal(store.getCall('call-0')?.queue, 'first');
  s = snapshot(db);
  t.same(s.kept, s.want, 'after call ends (summary), alarms and queue changes');
  t.match(db.prepare("SELECT qa, neg_end, short, alarms FROM call_facts WHERE call_id = 'call-1'").get(), { qa: 70, neg_end: 1, short: 0, alarms: 2 });

  db.prepare("UPDATE alarms SET call_id = NULL WHERE rule = 'r'").run(); // what a purged call does to its alarms
  db.prepare("DELETE FROM alarms WHERE rule = 'r2'").run();
  t.same(snapshot(db).kept.facts, snapshot(db).want.facts, 'alarm unlinked and deleted');

  // Transcript retention deletes utterances of old calls; call retention deletes calls (explicitly).
  const now = base + 100 * 60_000 + 90 * DAY; // transcripts of the calls started in the first 100 minutes go
  purge(db, { transcriptsDays: 90, callsDays: 365, auditDays: 2555, aggregatesDays: 1825, audioDays: 90, alarmsDays: 365 }, now);
  s = snapshot(db);
  t.ok((db.prepare('SELECT COUNT(*) FROM utterances').pluck().get() as number) > 0, 'some transcripts are kept');
  t.same(s.kept, s.want, 'after the transcript purge');

  // Deleting a call cascades to its utterances and events (as discardImport does).
  db.prepare("DELETE FROM calls WHERE id IN ('call-5', 'call-6')").run();
  s = snapshot(db);
  t.same(s.kept, s.want, 'after calls are deleted with their children');
  purge(db, { transcriptsDays: 1, callsDays: 1, auditDays: 2555, aggregatesDays: 1825, audioDays: 90, alarmsDays: 365 }, now + 400 * DAY);
  t.equal(db.prepare('SELECT COUNT(*) FROM calls').pluck().get(), 0);
  s = snapshot(db);
  t.same(s.kept, s.want, 'after every call is purged');
  t.same(s.kept.facts, []);
});

t.test('a summary that is not JSON is stored, and only loses its figures', async (t) => {
  const dir = t.testdir();
  const store = openStore({ path: join(dir, 'e.db') });
  t.teardown(() => store.close());
  store.upsertCall(call(1));
  store.flush();
  dbOf(store).prepare("UPDATE calls SET summary = '{not json', state = 'ended' WHERE id = 'call-1'").run();
  t.match(dbOf(store).prepare("SELECT state, short, qa FROM call_facts WHERE call_id = 'call-1'").get(), { state: 'ended', short: null, qa: null });
  dbOf(store).prepare("INSERT INTO call_events (call_id, kind, t_ms, data) VALUES ('call-1', 'category', 0, '{bad')").run();
  t.same(dbOf(store).prepare('SELECT * FROM category_hours').all(), [], 'an unreadable category event is not counted');
});

t.test('the migration fills the tables from an existing database', async (t) => {
  const dir = t.testdir();
  // A schema-4 database written by the previous Earshot: the migrations up to 004 only.
  const old = join(dir, 'migrations-v4');
  mkdirSync(old);
  for (const f of readdirSync(migrationDirs()[0]).filter((f) => /^00[1-4]-/.test(f))) copyFileSync(join(migrationDirs()[0], f), join(old, f));
  const path = join(dir, 'old.db');
  // Today's store code writes columns of later schemas (v6: calls.source, end_reason) and prepares
  // statements on the tables of v7-v9 (recordings, conversations, care): seed with them present,
  // then drop them, which leaves
  // exactly the v4 tables the previous Earshot wrote.
  const raw = new Database(path);
  migrate(raw, { dir: old });
  raw.exec('ALTER TABLE calls ADD COLUMN source TEXT; ALTER TABLE calls ADD COLUMN end_reason TEXT;');
  for (const f of ['007-recordings.sql', '008-channels.sql', '009-care.sql']) raw.exec(readFileSync(join(migrationDirs()[0], f), 'utf8'));
  raw.close();
  const store = openStore({ path, migrationsDir: old });
  t.equal(dbOf(store).pragma('user_version', { simple: true }), 4);
  seed(store, 6, Date.UTC(2026, 0, 5, 23, 30));
  store.endCall('call-1', 'ended', Date.UTC(2026, 0, 6), { kpi: { short: false, sentiment: { negativeEnd: true } }, qa: [{ score: 90 }] });
  store.insertAlarm({ callId: 'call-2', rule: 'r', severity: 'warning', state: 'open', message: 'm', raisedAt: 1 });
  store.close();
  const v4 = new Database(path);
  v4.exec(`ALTER TABLE calls DROP COLUMN source; ALTER TABLE calls DROP COLUMN end_reason; DROP TABLE recordings;
    DROP INDEX calls_channel; ALTER TABLE calls DROP COLUMN channel; DROP TABLE conversation_messages;
    DROP INDEX call_events_competitor; DROP TABLE survey_requests; DROP TABLE cases; DROP TABLE demo_rows;`);
  v4.close();
  const again = openStore({ path });
  t.teardown(() => again.close());
  t.equal(dbOf(again).pragma('user_version', { simple: true }), migrationDirs().length ? readdirSync(migrationDirs()[0]).filter((f) => /^\d{3}-.*\.sql$/.test(f)).length : 0, 'migrated to the latest schema');
  const s = snapshot(dbOf(again));
  t.same(s.kept, s.want);
  t.equal((s.kept.facts as unknown[]).length, 6);
  t.ok((s.kept.emotions as unknown[]).length > 0 && (s.kept.categories as unknown[]).length > 0);
});

const latest = () => readdirSync(migrationDirs()[0]).filter((f) => /^\d{3}-.*\.sql$/.test(f)).length;

t.test('migration 012 gives existing hour rows their channel', async (t) => {
  const dir = t.testdir();
  // A schema-11 database (before the hour tables had a channel) with calls and chats in it.
  const old = join(dir, 'migrations-v11');
  mkdirSync(old);
  for (const f of readdirSync(migrationDirs()[0]).filter((f) => /^0(0\d|1[01])-/.test(f))) copyFileSync(join(migrationDirs()[0], f), join(old, f));
  const path = join(dir, 'v11.db');
  const v11 = openStore({ path, migrationsDir: old });
  t.equal(dbOf(v11).pragma('user_version', { simple: true }), 11);
  const base = Date.UTC(2026, 0, 5, 9, 10);
  seed(v11, 9, base);
  v11.endCall('call-2', 'ended', base + 45 * 60_000, { kpi: { short: false, sentiment: { negativeEnd: true, customerAvg: -0.5 } }, qa: [{ score: 40 }] });
  v11.insertAlarm({ callId: 'call-5', rule: 'r', severity: 'warning', state: 'open', message: 'm', raisedAt: base + 1 });
  v11.flush();
  t.equal(dbOf(v11).prepare("SELECT COUNT(*) FROM calls WHERE channel = 'chat'").pluck().get(), 3, 'chats in the old file');
  v11.close();

  const store = openStore({ path });
  t.teardown(() => store.close());
  t.equal(dbOf(store).pragma('user_version', { simple: true }), latest());
  let s = snapshot(dbOf(store));
  t.same(s.kept, s.want, 'every table equals a recomputation with channels');
  t.ok((s.kept.categories as { channel: string }[]).some((r) => r.channel === 'chat') && (s.kept.emotions as { channel: string }[]).some((r) => r.channel === 'chat'), 'chat rows moved out of voice');
  t.same(dbOf(store).prepare("SELECT COUNT(*) AS n FROM emotion_hours WHERE n = 0").get(), { n: 0 }, 'no empty rows left by the move');
  // And the triggers keep them after the upgrade.
  store.upsertCall(call(20, { startedAt: base + 7 * H, channel: 'email', agentId: 'agent-0' }));
  const l = leg('call-20', 'customer');
  store.addLeg(l);
  store.addUtterance(utterance(l, 0, { emotion: 'angry' }));
  store.addCallEvent({ callId: 'call-20', legId: l.legId, kind: 'category', tMs: 1, data: { rule: 'billing' } });
  store.endCall('call-20', 'ended', base + 7 * H + 60_000, { kpi: { short: false, sentiment: { negativeEnd: false } } });
  store.flush();
  s = snapshot(dbOf(store));
  t.same(s.kept, s.want, 'after writes on schema 12');
});

t.test('migration 014 gives survey_days the channel; NPS by channel over long ranges reads it, equal to the answers', async (t) => {
  const dir = t.testdir();
  // A real schema-12 file (survey_days without channel) with calls, chats and answers tied to both.
  const old = join(dir, 'migrations-v12');
  mkdirSync(old);
  for (const f of readdirSync(migrationDirs()[0]).filter((f) => /^0(0\d|1[012])-/.test(f))) copyFileSync(join(migrationDirs()[0], f), join(old, f));
  const path = join(dir, 'v12.db');
  const v12 = openStore({ path, migrationsDir: old });
  t.equal(dbOf(v12).pragma('user_version', { simple: true }), 12);
  const base = Date.UTC(2026, 0, 5, 9, 10);
  seed(v12, 30, base); // answers every 5 h over ~6 days, every third conversation a chat, one unlinked
  v12.flush();
  t.notOk((dbOf(v12).prepare('PRAGMA table_info(survey_days)').all() as { name: string }[]).some((c) => c.name === 'channel'), 'no channel in the old table');
  v12.close();

  const store = openStore({ path });
  t.teardown(() => store.close());
  const db = dbOf(store);
  t.equal(db.pragma('user_version', { simple: true }), latest());
  let s = snapshot(db);
  t.same(s.kept.surveys, s.want.surveys, 'back-filled: survey_days equals a recomputation with channels');
  t.ok((s.kept.surveys as { channel: string }[]).some((r) => r.channel === 'chat') && (s.kept.surveys as { channel: string }[]).some((r) => r.channel === ''), 'chat and unlinked rows');

  // The reads: by channel and for one channel over a long range (whole days from survey_days,
  // partial days from the answers) against the answers grouped directly.
  const raw = (from: number, to: number) =>
    db
      .prepare(
        `SELECT COALESCE(c.channel, '(unknown)') AS key, COUNT(*) AS n, SUM(s.score >= 9) AS p, SUM(s.score < 7) AS d FROM surveys s LEFT JOIN calls c ON c.id = s.call_id
         WHERE s.kind = 'nps' AND s.received_at >= ? AND s.received_at < ? GROUP BY 1 ORDER BY 1`,
      )
      .all(from, to) as { key: string; n: number; p: number; d: number }[];
  const viaDays = (from: number, to: number, channel?: string) => {
    const m = new Map<string, { key: string; n: number; p: number; d: number }>();
    for (const r of SurveysRepo.for(db).npsDays('channel', from, to, channel)) {
      if (r.kind !== 'nps') continue;
      const g = m.get(r.key) ?? m.set(r.key, { key: r.key, n: 0, p: 0, d: 0 }).get(r.key)!;
      g.n += r.n;
      g.p += r.promoters;
      g.d += r.detractors;
    }
    return [...m.values()].filter((g) => g.n).sort((a, b) => (a.key < b.key ? -1 : 1));
  };
  const from = base + 7 * H; // partial first day, whole days, partial last day
  const to = base + 5 * DAY + 3 * H;
  const want = raw(from, to);
  t.ok(want.length >= 3 && want.every((g) => g.n > 0), 'voice, chat and unlinked answers in the range');
  t.same(viaDays(from, to), want, 'by channel');
  t.same(viaDays(from, to, 'chat'), want.filter((g) => g.key === 'chat'), 'one channel');
  const conv = new ConversationsRepo(db).npsByChannel(from, to);
  t.same(conv.map((g) => [g.channel, g.responses, g.promoters, g.detractors]), want.map((g) => [g.key === '(unknown)' ? 'unlinked' : g.key, g.n, g.p, g.d]).sort((a, b) => (a[0] < b[0] ? -1 : 1)), 'the conversations NPS API read (by channel name)');
  const mix = channelMix(db, { from: base - DAY, to });
  t.same(mix.map((c) => [c.channel, c.responses]).sort(), raw(base - DAY, to).filter((g) => g.key !== '(unknown)').map((g) => [g.key, g.n]).sort(), "the reports' channel mix");

  // survey_days is read: rows changed behind the triggers' back change the answer (whole days only).
  const mid = Math.ceil(from / DAY) * DAY;
  db.prepare("UPDATE survey_days SET n = n + 100 WHERE day = ? AND kind = 'nps' AND channel = 'chat'").run(mid);
  const touched = db.prepare("SELECT changes() AS n").get() as { n: number };
  t.ok(touched.n > 0, 'a chat day row to touch');
  t.equal(viaDays(from, to, 'chat')[0].n, want.find((g) => g.key === 'chat')!.n + 100 * touched.n, 'whole days come from survey_days');
  db.prepare("UPDATE survey_days SET n = n - 100 WHERE day = ? AND kind = 'nps' AND channel = 'chat'").run(mid);

  // The triggers keep it on schema 14: new answers, a re-score, a delete, a call removed.
  db.prepare('INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, ?, ?, ?, ?)').run('call-2', 'h2', 'nps', 10, base + 2 * DAY);
  db.prepare("UPDATE surveys SET score = 0 WHERE call_id = 'call-5'").run();
  db.prepare("DELETE FROM surveys WHERE call_id = 'call-8'").run();
  db.prepare("DELETE FROM calls WHERE id = 'call-11'").run();
  s = snapshot(db);
  t.same(s.kept.surveys, s.want.surveys, 'after writes on the new schema');
  t.same(viaDays(from, to), raw(from, to));
});
