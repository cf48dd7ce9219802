import t from 'tap';
import WebSocket from 'ws';
import type { Utterance } from '../../src/call/types.js';
import { login, startServer, type TestServer } from './helpers/server.js';
import { dbOf } from '../helpers/db.js';

interface Msg {
  type: string;
  seq: number;
  data: any;
}

/** A live client that records every message; `next(n)` waits for n more. */
function connect(s: TestServer, cookie: string, query = '') {
  const ws = new WebSocket(`${s.base.replace('http', 'ws')}/api/v1/live${query}`, { headers: { cookie } });
  const msgs: Msg[] = [];
  let waiters: (() => void)[] = [];
  ws.on('message', (raw) => {
    msgs.push(JSON.parse(raw.toString()));
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  });
  const until = async (pred: () => boolean) => {
    while (!pred()) await new Promise<void>((r) => waiters.push(r));
  };
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  return { ws, msgs, until, closed, count: (n: number) => until(() => msgs.length >= n) };
}

const utt = (callId: string, legId: string, seq: number, text: string): Utterance => ({
  callId, legId, role: 'customer', seq, text, lang: 'en', startMs: seq * 1000, endMs: seq * 1000 + 800,
  sentiment: -0.5, emotion: 'frustrated', emotionConfidence: 0.7, categories: [], redactions: 0,
});

t.test('anonymous and cross-origin websocket upgrades are refused', async (t) => {
  const s = await startServer(t);
  const url = `${s.base.replace('http', 'ws')}/api/v1/live`;
  const status = (opts: WebSocket.ClientOptions) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url, opts);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => {
        resolve(101);
        ws.close();
      });
      ws.on('error', () => {});
    });
  t.equal(await status({}), 401);
  const { cookie } = await login(s.app, 'viewer');
  t.equal(await status({ headers: { cookie }, origin: 'http://evil.example' }), 403);
  t.equal(await status({ headers: { cookie } }), 101);
});

t.test('hello snapshot, numbered messages, catch-up with since after a reconnect', async (t) => {
  const s = await startServer(t);
  const { cookie } = await login(s.app, 'viewer');
  const early = s.calls.open({ ingest: 'siprec', externalId: 'early', agentId: 'a1', queue: 'q1' });
  s.calls.addLeg(early.info.callId, { role: 'agent', label: 'agent', participant: { name: 'Alice', aor: 'sip:alice@x' } });

  const c1 = connect(s, cookie);
  await c1.count(1);
  const hello = c1.msgs[0];
  t.equal(hello.type, 'hello');
  t.equal(hello.seq, 2, 'hello carries the last sequence number');
  t.equal(hello.data.active.length, 1);
  t.equal(hello.data.active[0].agentId, 'a1');
  t.notMatch(JSON.stringify(hello), /alice/i, 'no participant names in the snapshot');

  const call = s.calls.open({ ingest: 'audio-fork', externalId: 'x', agentId: 'a2' });
  const leg = s.calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
  s.bus.emit('utterance', utt(call.info.callId, leg.legId, 1, 'first words'));
  await c1.count(4);
  t.same(c1.msgs.slice(1).map((m) => [m.type, m.seq]), [['call.started', 3], ['leg.added', 4], ['utterance', 5]]);
  t.equal(c1.msgs[3].data.text, undefined, 'not watching: utterance arrives without text');
  t.equal(c1.msgs[3].data.emotion, 'frustrated');
  const last = c1.msgs.at(-1)!.seq;
  c1.ws.close();
  await c1.closed;

  // Missed while disconnected:
  s.bus.emit('utterance', utt(call.info.callId, leg.legId, 2, 'second'));
  s.alarms.raise({ callId: call.info.callId, rule: 'anger', severity: 'critical', message: 'angry customer' });
  s.bus.emit('call.event', { callId: call.info.callId, kind: 'hold', tMs: 10 }); // not a category: not pushed
  s.bus.emit('call.event', { callId: call.info.callId, kind: 'category', tMs: 11, data: { category: 'cancel' } });
  s.calls.close(early.info.callId);

  const c2 = connect(s, cookie, `?since=${last}&boot=${hello.data.boot}&watch=${call.info.callId}`);
  await c2.count(5);
  t.same(c2.msgs[0], { type: 'hello', seq: last, data: { boot: hello.data.boot, resumed: true } });
  t.same(c2.msgs.slice(1).map((m) => m.type), ['utterance', 'alarm', 'call.event', 'call.ended']);
  const seqs = c2.msgs.slice(1).map((m) => m.seq);
  t.same(seqs, [last + 1, last + 2, last + 3, last + 4], 'no gaps after the reconnect');
  t.equal(c2.msgs[1].data.text, 'second', 'a call watched on the URL gets its missed text in the catch-up');
  c2.ws.close();
  await c2.closed;

  const other = connect(s, cookie, `?since=${last}&boot=0123abcd`);
  await other.count(1);
  t.equal(other.msgs[0].type, 'resync', 'a different server boot → resync');
  t.equal(other.msgs[0].data.active.length, 1, 'resync carries a fresh snapshot');
  t.equal(other.msgs[0].data.active[0].openAlarms, 1);
  t.equal(other.msgs[0].data.active[0].maxSeverity, 'critical');
  t.same(other.msgs[0].data.active[0].emotion, { customer: { emotion: 'frustrated', sentiment: -0.5 } });
  const future = connect(s, cookie, `?since=${s.app.liveHub.lastSeq + 10}`);
  await future.count(1);
  t.equal(future.msgs[0].type, 'resync', 'a since beyond the server → resync');
  other.ws.close();
  future.ws.close();
  await Promise.all([other.closed, future.closed]);
});

t.test('calls opened before the server was built are in the snapshot', async (t) => {
  let early = '';
  const s = await startServer(t, {
    before: (calls) => {
      const c = calls.open({ ingest: 'import', externalId: 'before', agentId: 'a0' });
      calls.addLeg(c.info.callId, { role: 'agent', label: '1' });
      early = c.info.callId;
    },
  });
  const { cookie } = await login(s.app, 'viewer');
  const c = connect(s, cookie);
  await c.count(1);
  t.same(c.msgs[0].data.active.map((x: { callId: string; legs: unknown[] }) => [x.callId, x.legs.length]), [[early, 1]]);
  c.ws.close();
  await c.closed;
});

t.test('messages that left the ring buffer make the client resync', async (t) => {
  const s = await startServer(t, { tuning: { live: { ringSize: 4 } } });
  const { cookie } = await login(s.app, 'viewer');
  for (let i = 0; i < 10; i++) s.bus.emit('call.event', { callId: 'c', kind: 'category', tMs: i, data: { category: 'x' } });
  const c = connect(s, cookie, '?since=2');
  await c.count(1);
  t.equal(c.msgs[0].type, 'resync');
  t.equal(c.msgs[0].seq, 10);
  const ok = connect(s, cookie, '?since=6');
  await ok.count(5);
  t.same(ok.msgs.map((m) => m.seq), [6, 7, 8, 9, 10], 'the last 4 are still replayed');
  c.ws.close();
  ok.ws.close();
  await Promise.all([c.closed, ok.closed]);
  const m = await s.metrics.registry.getSingleMetricAsString('earshot_ws_resyncs_total');
  t.match(m, /earshot_ws_resyncs_total 1/);
});

t.test('watching a call sends transcript text and partials, and is audited', async (t) => {
  const s = await startServer(t);
  const { cookie } = await login(s.app, 'viewer');
  const call = s.calls.open({ ingest: 'import', externalId: 'w' });
  const leg = s.calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
  const watcher = connect(s, cookie);
  const other = connect(s, cookie);
  await Promise.all([watcher.count(1), other.count(1)]);
  watcher.ws.send(JSON.stringify({ op: 'watch', callId: call.info.callId }));
  watcher.ws.send('not json');
  await watcher.until(() => watcher.msgs.some((m) => m.type === 'error'));
  t.equal(watcher.msgs.find((m) => m.type === 'error')!.data.reason, 'invalid-json');
  s.bus.emit('partial', { callId: call.info.callId, legId: leg.legId, role: 'customer', seq: 1, text: 'hel', startMs: 0, endMs: 300 });
  s.bus.emit('utterance', utt(call.info.callId, leg.legId, 1, 'hello there'));
  await watcher.until(() => watcher.msgs.some((m) => m.type === 'utterance'));
  await other.until(() => other.msgs.some((m) => m.type === 'utterance'));
  t.equal(watcher.msgs.find((m) => m.type === 'partial')?.data.text, 'hel');
  t.equal(watcher.msgs.find((m) => m.type === 'utterance')?.data.text, 'hello there');
  t.notOk(other.msgs.some((m) => m.type === 'partial'), 'non-watchers get no partials');
  t.equal(other.msgs.find((m) => m.type === 'utterance')?.data.text, undefined);
  const audit = dbOf(s.store).prepare("SELECT actor, action, target, detail FROM audit_log WHERE action = 'view.call'").all();
  t.same(audit, [{ actor: 'viewer', action: 'view.call', target: call.info.callId, detail: 'live' }]);
  const bad = await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total');
  t.match(bad, /parser="ws-live",reason="invalid-json"} 1/);
  watcher.ws.close();
  other.ws.close();
  await Promise.all([watcher.closed, other.closed]);
});

t.test('a client that stops reading is dropped with close code 4008 and counted', async (t) => {
  const s = await startServer(t, { tuning: { live: { maxBufferedBytes: 256 * 1024 } } });
  const { cookie } = await login(s.app, 'viewer');
  const slow = connect(s, cookie);
  await slow.count(1);
  // Stop reading: the kernel buffers fill, then the server's socket buffer grows past the limit.
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const big = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 400 && s.app.liveHub.clientCount > 0; i++) {
    s.bus.emit('alarm', { id: i + 1, callId: 'none', rule: 'flood', severity: 'info', state: 'open', message: big, raisedAt: i });
    await new Promise((r) => setImmediate(r));
  }
  (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  const { code } = await slow.closed;
  t.equal(code, 4008, 'closed with the slow-consumer code');
  while (s.app.liveHub.clientCount > 0) await new Promise((r) => setTimeout(r, 20)); // server side sees the close
  const m = await s.metrics.registry.metrics();
  t.match(m, /earshot_ws_clients_dropped_total\{reason="slow"\} 1/);
  t.match(m, /earshot_ws_messages_dropped_total [1-9]/);
  t.match(m, /earshot_ws_clients 0/);
});

t.test('app.close() closes live clients with 1001', async (t) => {
  const s = await startServer(t);
  const { cookie } = await login(s.app, 'viewer');
  const c = connect(s, cookie);
  await c.count(1);
  const closing = s.app.close();
  const { code } = await c.closed;
  await closing;
  t.equal(code, 1001);
});
