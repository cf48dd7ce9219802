// Conversations imported through the real pipeline (real SQLite file, the shipped rules and alarm
// rules): the interchange format in English and Chinese, a call transcribed elsewhere, the Amazon
// Connect, Genesys Cloud and CSV exports. Asserts redaction before storage (typed card numbers with
// separators never reach the database or the logs), categories, alarms, text KPIs to ground truth,
// idempotent re-import, bad lines rejected with their line numbers while the rest imports, and the
// customer hashed like a caller id.
import t from 'tap';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { validateConfig } from '../../../src/config/index.js';
import { createPipeline } from '../../../src/main.js';
import { CallIdentity, loadCallerSalt } from '../../../src/call/identity.js';
import { memoryLogger } from '../../metrics/siprec-rig.js';
import { recordSurvey } from '../../../src/kpi/index.js';
import { CARD_DIGITS, CARD_TYPED, CSV_EXPORT, EMAIL, EN_CHAT, EN_KPIS, VOICE_CALL, ZH_CHAT, amazonConnectExport, genesysExport, jsonl } from './fixtures.js';
import { dbOf } from '../../helpers/db.js';
import { importKey } from '../../../src/ingest/conversations/import.js';

const dir = t.testdir();
const dataDir = path.join(dir, 'data');
const logs: string[] = [];
const config = validateConfig({ dataDir, sip: { front: 'off' }, speech: { workers: 1 }, log: { level: 'trace' }, conversations: { maxTextChars: 500 } });
const p = await createPipeline(config, memoryLogger(logs), { sweepMs: 0 });
t.teardown(() => p.close());

const alarms: { rule: string; callId: string }[] = [];
p.bus.on('alarm', (a) => alarms.push({ rule: a.rule, callId: a.callId }));

const db = () => dbOf(p.store);
const callOf = (conversation: string) => p.store.repos.conversations.find(conversation);
const settle = async () => {
  await p.calls.idle();
  await p.analysis.idle();
  p.store.flush();
};

t.test('English chat, Chinese WeChat chat and a pre-transcribed call in the interchange format', async (t) => {
  const text = jsonl([...EN_CHAT, ...ZH_CHAT, ...VOICE_CALL]);
  const r = await p.conversations.importText(text, { fileName: 'chats.jsonl' });
  await settle();
  t.equal(r.format, 'jsonl');
  t.equal(r.messages, 7 + 5 + 3);
  t.equal(r.conversations, 3);
  t.equal(r.ended, 3);
  t.same(r.rejected, []);

  const en = callOf('en-1')!;
  const zh = callOf('zh-1')!;
  const voice = callOf('rec-7')!;
  t.equal(en.channel, 'chat');
  t.equal(zh.channel, 'wechat');
  t.equal(voice.channel, 'voice');
  for (const c of [en, zh, voice]) t.equal(db().prepare('SELECT state FROM calls WHERE id = ?').pluck().get(c.id), 'ended');

  // Redaction before storage: the typed card (with separators), the e-mail, the CN ID and phone.
  const stored = (db().prepare('SELECT text FROM utterances').pluck().all() as string[]).join('\n');
  for (const pii of [CARD_TYPED, CARD_DIGITS, '4111', EMAIL, '110101199003074477', '13812345678', 'Baker Street', '建国路88号']) t.notOk(stored.includes(pii), `stored text has no ${pii}`);
  t.match(stored, /My card is \S*\[/u, 'the card was replaced by a redaction token');
  const dbFile = readFileSync(path.join(dataDir, 'earshot.db')).toString('latin1');
  const wal = readdirSync(dataDir).filter((f) => f.endsWith('-wal')).map((f) => readFileSync(path.join(dataDir, f)).toString('latin1')).join('');
  t.notOk((dbFile + wal).includes(CARD_TYPED) || (dbFile + wal).includes(CARD_DIGITS), 'no card number anywhere in the database file or its WAL');
  const logText = logs.join('\n');
  for (const pii of [CARD_TYPED, CARD_DIGITS, EMAIL, '110101199003074477', 'wx-openid-oGZUI0egBJY1zhBYw2KhdUfwVJJE', '555 212 4378']) t.notOk(logText.includes(pii), `logs have no ${pii}`);
  t.ok(logs.some((l) => l.includes('conversation import done')), 'the import logged (counts only)');

  // Categories and alarms, in both languages and on the transcribed call.
  const cats = (callId: string) => db().prepare(`SELECT json_extract(data, '$.rule') FROM call_events WHERE call_id = ? AND kind = 'category'`).pluck().all(callId) as string[];
  t.ok(cats(en.id).includes('escalation-request'), 'en: escalation request');
  t.ok(cats(en.id).includes('pci-card-spoken'), 'en: typed card number flagged (its redaction is the evidence)');
  t.ok(cats(zh.id).includes('escalation-request'), 'zh: 叫你们领导来 is an escalation request');
  t.ok(cats(voice.id).includes('abusive-language'), 'voice transcript: abusive language');
  t.ok(alarms.some((a) => a.callId === en.id && a.rule === 'escalation-request'), 'en alarm');
  t.ok(alarms.some((a) => a.callId === zh.id && a.rule === 'escalation-request'), 'zh alarm');
  t.ok(alarms.some((a) => a.callId === voice.id && a.rule === 'abusive-language'), 'voice alarm');
  const langs = db().prepare('SELECT DISTINCT lang FROM utterances WHERE call_id = ?').pluck().all(zh.id);
  t.same(langs, ['zh'], 'Chinese analysed as Chinese without any speech model');

  // Emotion trajectory and sentiment are stored per message like per utterance.
  const zhRows = db().prepare('SELECT role, sentiment, emotion FROM utterances WHERE call_id = ? ORDER BY start_ms').all(zh.id) as { sentiment: number; emotion: string }[];
  t.equal(zhRows.length, 5);
  t.ok(zhRows[3].sentiment < 0, 'zh: the complaint is negative');
  const zhKpi = (JSON.parse(db().prepare('SELECT summary FROM calls WHERE id = ?').pluck().get(zh.id) as string) as { kpi: { sentiment: Record<string, unknown> } }).kpi.sentiment;
  // Emotion trajectory of a typed conversation: frustrated at the start, angry at the complaint
  // (100 s in, the worst moment), the customer ends negative.
  t.match(zhKpi, { negativeEnd: true, worst: [{ startMs: 100_000, emotion: 'angry' }, { startMs: 0, emotion: 'frustrated' }], emotions: { customer: { angry: 1, frustrated: 1, neutral: 1 } } });

  // Text KPIs to ground truth, stored in the call's summary.
  const summary = JSON.parse(db().prepare('SELECT summary FROM calls WHERE id = ?').pluck().get(en.id) as string) as { text: Record<string, unknown>; kpi: { durationMs: number } };
  t.match(summary.text, { channel: 'chat', ...EN_KPIS });
  t.same(summary.text.messages, EN_KPIS.messages);
  t.same(summary.text.handover, EN_KPIS.handover);
  // QA: the recording-disclosure item needs a spoken call: not applicable on a chat (not failed),
  // scored on the transcribed call.
  const qaItem = (callId: string, item: string) => {
    const s = JSON.parse(db().prepare('SELECT summary FROM calls WHERE id = ?').pluck().get(callId) as string) as { qa: { items: { id: string; passed: boolean | null }[] }[] };
    return s.qa[0].items.find((i) => i.id === item)?.passed;
  };
  t.equal(qaItem(en.id, 'disclosure'), null, 'chat: disclosure not applicable');
  t.equal(qaItem(zh.id, 'disclosure'), null, 'wechat: disclosure not applicable');
  t.equal(qaItem(voice.id, 'disclosure'), true, 'transcribed call: disclosure scored');
  t.equal(qaItem(en.id, 'no-abuse'), true, 'text items are scored on a chat');
  const row = db().prepare('SELECT duration_ms, end_reason, agent_id, queue FROM calls WHERE id = ?').get(en.id);
  t.same(row, { duration_ms: 180_000, end_reason: 'conversation-end', agent_id: 'sam', queue: 'billing' });
  // The transcribed call keeps its phrase times.
  t.same(db().prepare('SELECT start_ms, end_ms FROM utterances WHERE call_id = ? ORDER BY start_ms').all(voice.id), [{ start_ms: 0, end_ms: 4000 }, { start_ms: 5000, end_ms: 9000 }, { start_ms: 10000, end_ms: 13000 }]);

  // The customer is hashed on arrival with the caller salt: a phone number in a chat hashes exactly
  // as the same caller's number on a call (NPS and repeat-caller linkage), nothing raw is stored.
  const identity = new CallIdentity(loadCallerSalt(dataDir, ''));
  const hashes = db().prepare('SELECT customer_hash FROM calls WHERE id IN (?, ?)').pluck().all(en.id, zh.id);
  t.ok(hashes.includes(identity.customerHash('sip:+15552124378@carrier.example')), 'chat customer number = caller hash of the same number');
  t.ok(hashes.includes(identity.customerIdHash('wx-openid-oGZUI0egBJY1zhBYw2KhdUfwVJJE')), 'WeChat openid hashed');
  t.notOk(dbFile.includes('oGZUI0egBJY1zhBYw2KhdUfwVJJE'), 'the openid is not stored');

  // NPS linkage by hashed customer: a survey that names only the customer (as a survey system
  // knows them) is linked to their latest contact, and NPS is reported per channel.
  const surveyOpts = { now: Date.now(), repeatWindowDays: 7 };
  recordSurvey(db(), { customerHash: identity.customerIdHash('wx-openid-oGZUI0egBJY1zhBYw2KhdUfwVJJE')!, kind: 'nps', score: 2, receivedAt: zh.startedAt + 600_000 }, surveyOpts);
  recordSurvey(db(), { customerHash: identity.customerHash('+15552124378')!, kind: 'nps', score: 10, receivedAt: en.startedAt + 600_000 }, surveyOpts);
  t.same(p.store.repos.conversations.npsByChannel(0, Date.now() + 1), [
    { channel: 'chat', responses: 1, promoters: 1, detractors: 0, nps: 100 },
    { channel: 'wechat', responses: 1, promoters: 0, detractors: 1, nps: -100 },
  ]);

  // The transcript view (console) reads the redacted messages in order with their party.
  const view = p.store.repos.conversations.transcript(en.id);
  t.same(view.map((m) => m.party), ['customer', 'bot', 'agent', 'customer', 'agent', 'customer', 'agent']);
  t.ok(view[3].redactions >= 2);

  // Channel is a bounded metric label.
  const metrics = await p.metrics.registry.metrics();
  t.match(metrics, /earshot_conversation_messages_total\{channel="wechat",party="customer"\} 3/u);

  t.test('re-import: the same file is a duplicate; the same messages in another file are skipped by key', async (t) => {
    const again = await p.conversations.importText(text, { fileName: 'chats.jsonl' });
    t.equal(again.duplicate, true);
    t.equal(again.messages, 0);
    const reordered = jsonl([...ZH_CHAT].reverse());
    const r2 = await p.conversations.importText(reordered);
    t.equal(r2.duplicate, false);
    t.equal(r2.messages, 0);
    t.equal(r2.duplicates, 5, 'every message already stored (by id)');
    // The transcribed call has no ids: its content hash makes it idempotent too.
    const r3 = await p.conversations.importText(jsonl(VOICE_CALL) + '\n');
    t.equal(r3.duplicates, 3);
    await settle();
    t.equal(db().prepare('SELECT COUNT(*) FROM utterances WHERE call_id = ?').pluck().get(zh.id), 5);
    t.equal(db().prepare(`SELECT COUNT(*) FROM calls WHERE ingest = 'conversation'`).pluck().get(), 3);
  });
});

t.test('bad lines are rejected with their line numbers and counted; the rest imports', async (t) => {
  const lines = [
    JSON.stringify({ conversation: 'bad-1', channel: 'sms', at: 1764900000000, role: 'customer', text: 'first good line' }),
    '{"conversation": "bad-1", "channel": "sms", "at": 1764900001000, "role": "customer", "text": "unterminated',
    JSON.stringify({ conversation: 'bad-1', channel: 'fax', at: 1764900002000, role: 'customer', text: 'unknown channel' }),
    JSON.stringify({ conversation: 'bad-1', channel: 'sms', at: 1764900003000, role: 'supervisor', text: 'unknown role' }),
    JSON.stringify({ conversation: 'bad-1', channel: 'sms', role: 'agent', text: 'no time' }),
    '',
    JSON.stringify({ conversation: 'bad-1', channel: 'sms', at: 1764900004000, role: 'customer', text: 'x'.repeat(501) }),
    JSON.stringify({ conversation: 'bad-1', channel: 'sms', at: '2025-12-05T02:00:05Z', role: 'agent', text: 'second good line, ISO time' }),
    '[1,2,3]',
    JSON.stringify({ conversation: 'bad-1', end: true }),
  ];
  const before = await p.metrics.registry.getSingleMetric('earshot_conversation_lines_rejected_total')!.get();
  const r = await p.conversations.importText(lines.join('\n'));
  await settle();
  t.same(
    r.rejected.map((x) => [x.line, x.reason]),
    [[2, 'json'], [3, 'channel'], [4, 'role'], [5, 'missing'], [7, 'too-long'], [9, 'not-object']],
  );
  t.equal(r.messages, 2, 'the good lines imported');
  t.equal(r.ended, 1);
  t.notOk(JSON.stringify(r).includes('unterminated'), 'a rejection never echoes the line');
  const after = await p.metrics.registry.getSingleMetric('earshot_conversation_lines_rejected_total')!.get();
  const count = (m: typeof after, reason: string) => m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
  t.equal(count(after, 'json') - count(before, 'json'), 1);
  t.equal(count(after, 'too-long') - count(before, 'too-long'), 1);
  const c = callOf('bad-1')!;
  t.equal(c.channel, 'sms');
  t.equal(db().prepare('SELECT COUNT(*) FROM utterances WHERE call_id = ?').pluck().get(c.id), 2);
  // A message for a conversation that has ended is refused, not added.
  const late = await p.conversations.importText(JSON.stringify({ conversation: 'bad-1', channel: 'sms', at: 1764900009000, role: 'customer', text: 'too late' }));
  t.same(late.rejected.map((x) => x.reason), ['ended']);
});

t.test('Amazon Connect, Genesys Cloud and CSV exports', async (t) => {
  const ac = await p.conversations.importText(JSON.stringify(amazonConnectExport()), { fileName: 'contact.json' });
  const gen = await p.conversations.importText(JSON.stringify(genesysExport(), null, 2));
  const csv = await p.conversations.importText(CSV_EXPORT, { fileName: 'chats.csv' });
  await settle();
  t.equal(ac.format, 'amazon-connect');
  t.equal(ac.messages, 5, 'messages only: events and typing skipped');
  t.equal(ac.ended, 1);
  t.equal(gen.format, 'genesys');
  t.equal(gen.messages, 3);
  t.equal(csv.format, 'csv');
  t.equal(csv.messages, 3);
  t.same(csv.rejected.map((x) => [x.line, x.reason]), [[4, 'time']]);

  const acCall = callOf('c0ffee00-0000-4000-8000-000000000042')!;
  t.equal(acCall.channel, 'chat');
  const acSummary = JSON.parse(db().prepare('SELECT summary FROM calls WHERE id = ?').pluck().get(acCall.id) as string) as { text: Record<string, unknown> };
  t.match(acSummary.text, { messages: { customer: 2, agent: 2, bot: 1 }, firstResponseMs: 44_000, firstReplyMs: 2_000, handover: { atMs: 44_000, botMessages: 1 } });
  const acCats = db().prepare(`SELECT json_extract(data, '$.rule') FROM call_events WHERE call_id = ? AND kind = 'category'`).pluck().all(acCall.id);
  t.ok(acCats.includes('escalation-request'), 'Connect chat: escalation request');

  const g = callOf('gen-conv-9')!;
  t.equal(g.channel, 'voice', 'a Genesys call transcript is the voice channel');
  t.same(db().prepare('SELECT role, start_ms, end_ms FROM utterances WHERE call_id = ? ORDER BY start_ms').all(g.id), [
    { role: 'agent', start_ms: 0, end_ms: 2500 },
    { role: 'customer', start_ms: 3000, end_ms: 6000 },
    { role: 'agent', start_ms: 7000, end_ms: 8500 },
  ]);
  const s = callOf('csv-1')!;
  t.equal(s.channel, 'sms');
  // No end line in a CSV: a conversation whose last message is older than idleMinutes ends at once.
  t.equal(db().prepare('SELECT end_reason FROM calls WHERE id = ?').pluck().get(s.id), 'conversation-idle');

  const mix = p.store.repos.conversations.channelMix(0, Date.now() + 1);
  t.same(Object.fromEntries(mix.map((m) => [m.channel, m.conversations])), { chat: 2, sms: 2, voice: 2, wechat: 1 });
  t.equal(p.store.repos.conversations.list({ channel: 'sms' }).length, 2);
});

t.test('the database can be reopened read-only and holds the message index', async (t) => {
  p.store.flush();
  const ro = new Database(path.join(dataDir, 'earshot.db'), { readonly: true });
  t.teardown(() => ro.close());
  t.equal(ro.prepare('SELECT COUNT(*) FROM conversation_messages').pluck().get(), 7 + 5 + 3 + 2 + 5 + 3 + 3);
  t.same(ro.prepare("SELECT DISTINCT party FROM conversation_messages ORDER BY party").pluck().all(), ['agent', 'bot', 'customer']);
});

t.test('an interrupted import resumes: re-running the same file adds only the messages not yet stored', async (t) => {
  // The first run is stopped after three messages (as a cancelled upload or CLI run is); the re-run
  // of the same file skips those three by id and completes the same conversation.
  const rows = ZH_CHAT.map((r) => ({ ...r, conversation: 'resume-1', ...('id' in r ? { id: `r-${r.id}` } : {}) }));
  const text = jsonl(rows);
  const ac = new AbortController();
  let seen = 0;
  p.bus.on('transcript', () => {
    if (++seen === 3) ac.abort();
  });
  await t.rejects(p.conversations.importText(text, { signal: ac.signal }), { name: 'AbortError' });
  await settle();
  const cut = callOf('resume-1')!;
  t.equal(p.store.repos.conversations.messages(cut.id).length, 3, 'three messages stored before the stop');
  t.not(p.store.findImport(importKey(text))?.state, 'done', 'the ledger does not call it done');
  const r = await p.conversations.importText(text);
  t.match(r, { duplicate: false, messages: 2, duplicates: 3, ended: 1 });
  await settle();
  t.equal(db().prepare(`SELECT COUNT(*) FROM calls WHERE ingest = 'conversation' AND external_id = 'resume-1'`).pluck().get(), 1, 'one conversation, not two');
  t.same(p.store.repos.conversations.transcript(cut.id).map((m) => m.at), rows.filter((x) => 'at' in x).map((x) => (x as { at: number }).at), 'every message once, in order');
  t.equal(p.store.getCall(cut.id)?.state, 'ended', 'the closing line of the re-run ends it');
  t.equal((await p.conversations.importText(text)).duplicate, true, 'and then the file is done');
});

t.test('an import cut by a restart resumes: the re-run redoes the conversation the restart cut', async (t) => {
  const dataDir2 = path.join(dir, 'data-restart');
  const config2 = validateConfig({ dataDir: dataDir2, sip: { front: 'off' }, speech: { workers: 1 }, conversations: { maxTextChars: 500 } });
  const rows = ZH_CHAT.map((r) => ({ ...r, conversation: 'restart-1', ...('id' in r ? { id: `s-${r.id}` } : {}) }));
  const text = jsonl([...EN_CHAT, ...rows]); // the English chat completes before the cut
  const a = await createPipeline(config2, memoryLogger([]), { sweepMs: 0 });
  const ac = new AbortController();
  let seen = 0;
  a.bus.on('transcript', () => {
    if (++seen === EN_CHAT.length - 1 + 3) ac.abort(); // three messages into the WeChat chat
  });
  await t.rejects(a.conversations.importText(text, { signal: ac.signal }), { name: 'AbortError' });
  await a.calls.idle();
  await a.analysis.idle();
  await a.close(); // the restart: the open conversation is cut
  const b = await createPipeline(config2, memoryLogger([]), { sweepMs: 0 });
  t.teardown(() => b.close());
  const cut = b.store.repos.conversations.find('restart-1')!;
  t.equal(cut.state, 'interrupted', 'the restart cut the open conversation');
  t.equal(b.store.repos.conversations.messages(cut.id).length, 3);
  const r = await b.conversations.importText(text);
  t.match(r, { duplicate: false, messages: rows.length - 1, duplicates: EN_CHAT.length - 1 }, 'the finished chat is skipped, the cut one redone whole');
  await b.calls.idle();
  await b.analysis.idle();
  b.store.flush();
  const again = b.store.repos.conversations.find('restart-1')!;
  t.equal(dbOf(b.store).prepare(`SELECT COUNT(*) FROM calls WHERE ingest = 'conversation' AND external_id = 'restart-1'`).pluck().get(), 1, 'one conversation, not two');
  t.equal(b.store.getCall(again.id)?.state, 'ended');
  t.same(b.store.repos.conversations.transcript(again.id).map((m) => m.at), rows.filter((x) => 'at' in x).map((x) => (x as { at: number }).at), 'every message once, in order');
  t.equal(dbOf(b.store).prepare('SELECT COUNT(*) FROM utterances WHERE call_id = ?').pluck().get(again.id), rows.length - 1);
  t.equal((await b.conversations.importText(text)).duplicate, true, 'and then the file is done');
});
