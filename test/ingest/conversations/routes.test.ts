// The live conversations API on the real appliance (fastify on a real loopback socket, a real SQLite
// file): a chat bridge streams messages with its own ingest key, alarms reach a console's websocket
// while the chat is open (latency from POST to the alarm frame measured), the conversation ends on
// `end: true` or after conversations.idleMinutes on an injected clock, and the key rules hold
// (no key, wrong key, a key for another protocol; closed when no key lists `messages`).
import t from 'tap';
import path from 'node:path';
import Fastify from 'fastify';
import WebSocket from 'ws';
import { validateConfig } from '../../../src/config/index.js';
import { startAppliance } from '../../../src/main.js';
import { createUser } from '../../../src/web/index.js';
import { createConversations } from '../../../src/ingest/conversations/index.js';
import { CARD_TYPED, CSV_EXPORT, EN_CHAT, T0, amazonConnectExport, jsonl } from './fixtures.js';
import pino from 'pino';
import { dbOf } from '../../helpers/db.js';

const KEY = 'chat-bridge-key-0123456789abcdef';
const FORK_KEY = 'fork-only-key-0123456789abcdef00';
const dir = t.testdir();
let clock = Date.now();
const config = validateConfig({
  dataDir: path.join(dir, 'data'),
  http: { host: '127.0.0.1', port: 0 },
  sip: { front: 'off' },
  speech: { workers: 1 },
  forks: { apiKeys: [{ name: 'wechat-bridge', key: KEY, protocols: ['messages'] }, { name: 'fs', key: FORK_KEY }] },
  conversations: { idleMinutes: 5, maxBatch: 10 },
});
const appliance = await startAppliance(config, { log: pino({ level: 'silent' }), now: () => clock, sweepMs: 0 });
t.teardown(() => appliance.close());
const { store } = appliance.pipeline;
const url = appliance.url;

createUser(dbOf(store), { username: 'sup', role: 'supervisor', password: 'channels test pw' });
const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'sup', password: 'channels test pw' }) });
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
const { csrf } = (await login.json()) as { csrf: string };

const post = (id: string, body: unknown, key: string | null = KEY) =>
  fetch(`${url}/api/v1/conversations/${encodeURIComponent(id)}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });

t.test('alarms reach the console websocket while the chat is open', async (t) => {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live`, { headers: { cookie } });
  const frames: { type: string; data: { rule?: string; callId?: string } }[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (m) => {
    frames.push(JSON.parse(m.toString()) as (typeof frames)[number]);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  t.teardown(() => ws.close());
  const alarmFrame = (rule: string) =>
    new Promise<void>((resolve) => {
      const check = () => (frames.some((f) => f.type === 'alarm' && f.data.rule === rule) ? resolve() : waiters.push(check));
      check();
    });

  const now = Date.now();
  const first = await post('live-1', [
    { channel: 'app', at: now, role: 'customer', text: 'hi my card is not working', id: 'l1', customer: 'user-77' },
    { channel: 'app', at: now + 1000, role: 'agent', text: 'Hello, I can help with that.', id: 'l2', agent: 'kim' },
  ]);
  t.equal(first.status, 201);
  const b1 = (await first.json()) as { accepted: number; callId: string };
  t.equal(b1.accepted, 2);
  const callId = b1.callId;

  const sent = performance.now();
  const angry = post('live-1', { channel: 'app', at: now + 2000, role: 'customer', text: `my card ${CARD_TYPED} keeps failing, I want to speak to your supervisor`, id: 'l3' });
  await alarmFrame('escalation-request');
  const latencyMs = performance.now() - sent;
  t.equal((await angry).status, 201);
  t.comment(`message -> console alarm frame: ${latencyMs.toFixed(1)} ms`);
  const alarm = frames.find((f) => f.type === 'alarm' && f.data.rule === 'escalation-request')!;
  t.equal(alarm.data.callId, callId, 'the alarm is on the open conversation');
  t.equal(store.getCall(callId)?.state, 'active', 'the chat is still open when the alarm arrives');
  t.notOk(frames.some((f) => JSON.stringify(f).includes('4111')), 'no card digits pushed to the console');

  // Idempotent by message id: a retried batch is counted as duplicates, nothing stored twice.
  const retry = await post('live-1', { channel: 'app', at: now + 2000, role: 'customer', text: 'resent by the bridge', id: 'l3' });
  t.equal(retry.status, 200);
  t.match(await retry.json(), { accepted: 0, duplicates: 1 });

  // A batch with one bad message: the rest goes in, the bad one is named by index.
  const mixed = await post('live-1', [{ channel: 'app', at: now + 3000, role: 'customer', text: 'thanks', id: 'l4' }, { channel: 'app', role: 'customer', text: 'no time' }, { conversation: 'other', channel: 'app', at: now, role: 'agent', text: 'x' }]);
  t.equal(mixed.status, 201);
  t.match(await mixed.json(), { accepted: 1, rejected: [{ index: 1, reason: 'missing' }, { index: 2, reason: 'field' }] });

  const end = await post('live-1', { end: true });
  t.match(await end.json(), { ended: true });
  await appliance.pipeline.calls.idle();
  store.flush();
  t.equal(store.getCall(callId)?.state, 'ended');
  t.equal(store.getCall(callId)?.channel, 'app');
  t.equal(store.getCall(callId)?.source, 'wechat-bridge', 'attributed to the key that sent it');
  const stored = (dbOf(store).prepare('SELECT text FROM utterances WHERE call_id = ?').pluck().all(callId) as string[]).join(' ');
  t.notOk(stored.includes('4111'), 'typed card redacted before storage');
  t.equal((dbOf(store).prepare('SELECT COUNT(*) FROM utterances WHERE call_id = ?').pluck().get(callId)), 4);

  // After the end, new messages are refused; the transcript view and list serve the console.
  const late = await post('live-1', { channel: 'app', at: now + 9000, role: 'customer', text: 'hello?', id: 'l9' });
  t.equal(late.status, 400);
  t.match(await late.json(), { rejected: [{ reason: 'ended' }] });
  const view = await fetch(`${url}/api/v1/conversations/${callId}/transcript`, { headers: { cookie } });
  t.equal(view.status, 200);
  t.same(((await view.json()) as { messages: { party: string }[] }).messages.map((m) => m.party), ['customer', 'agent', 'customer', 'customer']);
  const list = (await (await fetch(`${url}/api/v1/conversations?channel=app`, { headers: { cookie } })).json()) as { conversations: { callId: string }[] };
  t.same(list.conversations.map((c) => c.callId), [callId]);
  t.equal((await fetch(`${url}/api/v1/conversations?channel=fax`, { headers: { cookie } })).status, 400);
  // The calls list takes the same channel filter.
  const calls = (await (await fetch(`${url}/api/v1/calls?channel=app`, { headers: { cookie } })).json()) as { calls: { callId: string }[] };
  t.same(calls.calls.map((c) => c.callId), [callId]);
  t.same(((await (await fetch(`${url}/api/v1/calls?channel=voice`, { headers: { cookie } })).json()) as { calls: unknown[] }).calls, []);
  t.equal((await fetch(`${url}/api/v1/calls?channel=fax`, { headers: { cookie } })).status, 400);
  t.equal((await fetch(`${url}/api/v1/conversations`)).status, 401, 'reads need a session');
});

t.test('a conversation ends after conversations.idleMinutes without messages (injected clock)', async (t) => {
  clock = Date.now();
  const r = await post('idle-1', { channel: 'sms', at: clock, role: 'customer', text: 'are you there', id: 'i1' });
  const { callId } = (await r.json()) as { callId: string };
  const engine = appliance.pipeline.conversations.engine;
  clock += 4 * 60_000;
  t.equal(engine.sweep(), 0, 'not idle after 4 of 5 minutes');
  await post('idle-1', { channel: 'sms', at: clock, role: 'agent', text: 'yes, how can I help', id: 'i2' });
  clock += 4 * 60_000;
  t.equal(engine.sweep(), 0, 'a message restarts the idle time');
  clock += 60_000;
  t.equal(engine.sweep(), 1);
  await appliance.pipeline.calls.idle();
  store.flush();
  t.match(store.getCall(callId), { state: 'ended', endReason: 'conversation-idle' });
});

t.test('secure by default: a key is required and must list the messages protocol', async (t) => {
  const body = { channel: 'chat', at: Date.now(), role: 'customer', text: 'hello' };
  const none = await post('k-1', body, null);
  t.equal(none.status, 401);
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="earshot-ingest"');
  t.equal((await post('k-1', body, 'wrong-key-0123456789abcdef0000')).status, 401);
  const fork = await post('k-1', body, FORK_KEY);
  t.equal(fork.status, 403, 'a fork key cannot send messages');
  t.equal(store.repos.conversations.find('k-1'), undefined, 'nothing was opened');
  // A session is not a way in either (the bridge API is for keys), nor is the console's cookie.
  const withCookie = await fetch(`${url}/api/v1/conversations/k-1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf }, body: JSON.stringify(body) });
  t.equal(withCookie.status, 401);

  // No key lists `messages`: the API is closed (403 INGEST_CLOSED), on its own fastify and socket.
  const closedConfig = validateConfig({ ...config, forks: { apiKeys: [{ name: 'fs', key: FORK_KEY }] } });
  const p = appliance.pipeline;
  const c = createConversations({ config: closedConfig, log: pino({ level: 'silent' }), bus: p.bus, calls: p.calls, store: p.store, metrics: p.metrics, sweepMs: 0 });
  const app = Fastify();
  await app.register(c.routes());
  const addr = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const closed = await fetch(`${addr}/api/v1/conversations/k-2/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(body) });
  t.equal(closed.status, 403);
  t.match(await closed.json(), { error: { code: 'EARSHOT_ERR_INGEST_CLOSED' } });
});

t.test('POST /api/v1/conversations/import: supervisor session, idempotent, progress readable', async (t) => {
  const text = jsonl(EN_CHAT.map((m) => ({ ...m, conversation: 'api-en-1', ...('at' in m ? { at: m.at } : {}) })));
  const send = () => fetch(`${url}/api/v1/conversations/import?name=chat.jsonl`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', cookie, 'x-csrf-token': csrf }, body: text });
  const r1 = await send();
  t.equal(r1.status, 201);
  const j1 = (await r1.json()) as { key: string; messages: number };
  t.equal(j1.messages, 7);
  const r2 = await send();
  t.equal(r2.status, 200);
  t.match(await r2.json(), { duplicate: true, messages: 0 });
  const prog = await fetch(`${url}/api/v1/conversations/imports/${j1.key}`, { headers: { cookie } });
  t.match(await prog.json(), { state: 'done', recordsDone: 8 });
  const noCsrf = await fetch(`${url}/api/v1/conversations/import`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', cookie }, body: text });
  t.equal(noCsrf.status, 403);
  t.equal((await fetch(`${url}/api/v1/conversations/import`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: text })).status, 401);
  t.ok(T0 > 0);

  // The other shapes and the refusals.
  const h = { cookie, 'x-csrf-token': csrf };
  const asJson = await fetch(`${url}/api/v1/conversations/import`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify(amazonConnectExport()) });
  t.equal(asJson.status, 201);
  t.match(await asJson.json(), { format: 'amazon-connect', messages: 5 });
  const csv = await fetch(`${url}/api/v1/conversations/import?format=csv`, { method: 'POST', headers: { ...h, 'content-type': 'text/csv' }, body: CSV_EXPORT.replaceAll('csv-1', 'api-csv') });
  t.match(await csv.json(), { format: 'csv', messages: 3, rejected: [{ line: 4, reason: 'time' }] });
  t.equal((await fetch(`${url}/api/v1/conversations/import?format=xml`, { method: 'POST', headers: { ...h, 'content-type': 'text/plain' }, body: 'x' })).status, 400);
  t.equal((await fetch(`${url}/api/v1/conversations/import`, { method: 'POST', headers: { ...h, 'content-type': 'application/octet-stream' }, body: 'x' })).status, 415);
  const broken = await fetch(`${url}/api/v1/conversations/import?format=genesys`, { method: 'POST', headers: { ...h, 'content-type': 'text/plain' }, body: '{not json' });
  t.match(await broken.json(), { messages: 0, rejected: [{ line: 0, reason: 'format' }] });
  t.equal((await fetch(`${url}/api/v1/conversations/imports/nothex`, { headers: { cookie } })).status, 400);
  t.equal((await fetch(`${url}/api/v1/conversations/imports/${'0'.repeat(64)}`, { headers: { cookie } })).status, 404);
  t.equal((await fetch(`${url}/api/v1/conversations/nosuch/transcript`, { headers: { cookie } })).status, 404);
  const nps = (await (await fetch(`${url}/api/v1/conversations/nps`, { headers: { cookie } })).json()) as { channels: unknown[] };
  t.same(nps.channels, [], 'no surveys yet');
  // Live batches: empty and over conversations.maxBatch are refused whole.
  t.equal((await post('b-1', [])).status, 400);
  t.equal((await post('b-1', Array.from({ length: 11 }, (_, i) => ({ channel: 'chat', at: Date.now(), role: 'customer', text: `m${i}` })))).status, 400);
  t.equal(store.repos.conversations.find('b-1'), undefined);
});
