import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { backoff, createAlarms, loadAlarmRules } from '../../src/alarms/index.js';
import { counterValue, startCall, testEnv } from './helpers/env.js';
import { dbOf } from '../helpers/db.js';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const SECRET = 'a-webhook-secret-0123456789';
const rules = loadAlarmRules(new URL('../../config/alarms/default.yaml', import.meta.url).pathname);

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A real receiver on 127.0.0.1; `status` decides the answer; it can go down and come back on its port. */
async function receiver(t: Test) {
  const hits: Hit[] = [];
  const state = { status: 200, port: 0 };
  // Woken on every request, so a test awaits deliveries instead of polling against a deadline.
  let waiters: (() => void)[] = [];
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          hits.push({ path: req.url ?? '', headers: req.headers, body, status: state.status });
          res.writeHead(state.status).end();
          for (const w of waiters.splice(0)) w();
        });
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        state.port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const down = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await listen(0);
  t.teardown(down);
  const delivered = () => hits.filter((h) => h.status < 300);
  /** Resolves once `n` requests were answered with a 2xx (the test's own timeout bounds the wait). */
  const deliveredCount = async (n: number) => {
    while (delivered().length < n) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  t.teardown(() => void (waiters = []));
  return { hits, state, down, up: () => listen(state.port), url: (p: string) => `http://127.0.0.1:${state.port}${p}`, delivered, deliveredCount };
}

t.test('backoff doubles from the base, is capped, and is jittered within [d/2, d]', async (t) => {
  const o = { retryBaseMs: 1000, maxDelayMs: 60_000 };
  t.equal(backoff(1, o, () => 0), 500);
  t.equal(backoff(1, o, () => 1), 1000);
  t.equal(backoff(3, o, () => 1), 4000);
  t.equal(backoff(30, o, () => 1), 60_000);
  t.equal(backoff(30, o, () => 0), 30_000);
});

t.test('signed delivery to each webhook at or above its minSeverity; payload carries no text', async (t) => {
  const rx = await receiver(t);
  const env = testEnv(t.testdir(), {
    webhooks: [
      { url: rx.url('/all'), secret: SECRET, minSeverity: 'warning' },
      { url: rx.url('/critical'), secret: SECRET, minSeverity: 'critical' },
    ],
  });
  const clock = { now: T0 };
  const alarms = await createAlarms({ ...env, rules, clock: () => clock.now, tickMs: 0, deliveryMs: 0, consoleUrl: 'https://earshot.local/' });
  t.teardown(() => alarms.close());
  const c = startCall(env.bus);
  env.bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 1, data: { category: 'escalation-request' } }); // warning
  env.bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 2, data: { category: 'abusive-language' } }); // critical
  env.bus.emit('call.event', { callId: c.callId, legId: c.agent, kind: 'speech', tMs: 3, data: { startMs: 0, endMs: 30000 } });
  env.bus.emit('call.event', { callId: c.callId, legId: c.customer, kind: 'speech', tMs: 3, data: { startMs: 10000, endMs: 30000 } }); // overtalk: info, below both
  t.equal(alarms.outboxDepth(), 3);
  t.equal(await alarms.deliverWebhooks(), 3);
  t.same(rx.hits.map((h) => h.path).sort(), ['/all', '/all', '/critical']);
  for (const h of rx.hits) {
    t.equal(h.headers['x-earshot-signature'], `sha256=${createHmac('sha256', SECRET).update(h.body).digest('hex')}`, 'HMAC of the body');
    t.match(h.headers['x-earshot-idempotency-key'], /^earshot:site-1:alarm:\d+:alarm\.raised:[0-9a-f]{16}$/);
    t.equal(h.headers['content-type'], 'application/json');
    const p = JSON.parse(h.body);
    t.same(Object.keys(p).sort(), ['alarm', 'event', 'link', 'site']);
    t.same(Object.keys(p.alarm).sort(), ['callId', 'id', 'raisedAt', 'rule', 'severity'], 'no message or text');
    t.equal(p.alarm.callId, c.callId);
    t.equal(p.link, `https://earshot.local/alarms/${p.alarm.id}`);
    t.equal(p.alarm.raisedAt, new Date(T0).toISOString());
  }
  t.equal(alarms.outboxDepth(), 0);
  t.equal(await alarms.deliverWebhooks(), 0, 'delivered rows are not sent again');
  t.equal(rx.hits.length, 3);
  t.match(await env.metrics.registry.getSingleMetricAsString('earshot_outbox_depth'), /earshot_outbox_depth 0/);
});

t.test('retries with backoff while the receiver is down or failing, then delivers once', async (t) => {
  const rx = await receiver(t);
  const env = testEnv(t.testdir(), { webhooks: [{ url: rx.url('/hook'), secret: SECRET, minSeverity: 'info' }] });
  const clock = { now: T0 };
  const alarms = await createAlarms({ ...env, rules, clock: () => clock.now, tickMs: 0, deliveryMs: 0, outbox: { retryBaseMs: 1000, maxDelayMs: 8000 } });
  t.teardown(() => alarms.close());
  await rx.down();
  const c = startCall(env.bus);
  env.bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 1, data: { category: 'abusive-language' } });
  t.equal(await alarms.deliverWebhooks(), 0, 'connection refused');
  const row = () => dbOf(env.store).prepare('SELECT attempts, next_at, delivered_at, last_error FROM outbox').get() as { attempts: number; next_at: number; delivered_at: number | null; last_error: string };
  t.match(row(), { attempts: 1, delivered_at: null, last_error: /^network: ECONNREFUSED/ });
  t.ok(row().next_at >= T0 + 500 && row().next_at <= T0 + 1000, 'first retry within [base/2, base]');
  t.equal(await alarms.deliverWebhooks(), 0);
  t.equal(row().attempts, 1, 'not retried before it is due');
  await rx.up(); // back on the same port, but failing
  rx.state.status = 503;
  clock.now += 1000;
  t.equal(await alarms.deliverWebhooks(), 0);
  t.match(row(), { attempts: 2, last_error: 'HTTP 503' });
  t.ok(row().next_at >= clock.now + 1000 && row().next_at <= clock.now + 2000, 'second retry doubled');
  rx.state.status = 204;
  clock.now += 2000;
  t.equal(await alarms.deliverWebhooks(), 1);
  t.match(row(), { attempts: 3, delivered_at: clock.now, last_error: null });
  t.equal(rx.delivered().length, 1);
  t.equal(rx.hits.length, 2, 'one 503 and one success reached the receiver');
  t.equal(rx.hits[0].headers['x-earshot-idempotency-key'], rx.hits[1].headers['x-earshot-idempotency-key'], 'same key on every attempt');
  t.equal(await counterValue(env.metrics, 'earshot_webhook_delivery_failures_total', { reason: 'network' }), 1);
  t.equal(await counterValue(env.metrics, 'earshot_webhook_delivery_failures_total', { reason: 'http_5xx' }), 1);
});

t.test('a restart resends pending rows and never resends delivered ones', async (t) => {
  const rx = await receiver(t);
  const dir = t.testdir();
  const webhooks = [{ url: rx.url('/hook'), secret: SECRET, minSeverity: 'warning' }];
  const clock = { now: T0 };
  const first = testEnv(dir, { webhooks });
  const a = await createAlarms({ ...first, rules, clock: () => clock.now, tickMs: 0, deliveryMs: 0 });
  const c = startCall(first.bus);
  first.bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 1, data: { category: 'abusive-language' } });
  t.equal(await a.deliverWebhooks(), 1);
  rx.state.status = 500;
  first.bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 2, data: { category: 'escalation-request' } });
  t.equal(await a.deliverWebhooks(), 0);
  await a.close();
  first.store.close();

  rx.state.status = 200;
  clock.now += 60_000;
  const second = testEnv(dir, { webhooks });
  const b = await createAlarms({ ...second, rules, clock: () => clock.now, tickMs: 0, deliveryMs: 0 });
  t.teardown(() => b.close());
  t.equal(b.outboxDepth(), 1, 'the pending row survived');
  t.equal(await b.deliverWebhooks(), 1);
  t.equal(await b.deliverWebhooks(), 0);
  const keys = rx.delivered().map((h) => h.headers['x-earshot-idempotency-key']);
  t.equal(keys.length, 2);
  t.equal(new Set(keys).size, 2, 'each alarm delivered exactly once');
  t.same(rx.delivered().map((h) => JSON.parse(h.body).alarm.rule), ['abusive-language', 'escalation-request']);
});

t.test('the delivery loop sends on its own, and escalation re-notifies', async (t) => {
  const rx = await receiver(t);
  const env = testEnv(t.testdir(), { webhooks: [{ url: rx.url('/hook'), secret: SECRET, minSeverity: 'critical' }] });
  let now = Date.now();
  const alarms = await createAlarms({ ...env, rules, clock: () => now, tickMs: 0, deliveryMs: 50 });
  t.teardown(() => alarms.close());
  const c = startCall(env.bus);
  env.bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 1, data: { category: 'abusive-language' } });
  await rx.deliveredCount(1); // sent by the delivery loop's own timer, nothing called here
  t.equal(rx.delivered().length, 1);
  now += 5 * 60_000; // abusive-language escalates after 5 min
  t.equal(alarms.tick().length, 1);
  await rx.deliveredCount(2);
  t.same(rx.delivered().map((h) => JSON.parse(h.body).event), ['alarm.raised', 'alarm.escalated']);
});

t.test('rows give up after maxAttempts, and rows for a removed webhook stop being tried', async (t) => {
  const rx = await receiver(t);
  rx.state.status = 500;
  const dir = t.testdir();
  const clock = { now: T0 };
  const env = testEnv(dir, { webhooks: [{ url: rx.url('/a'), secret: SECRET, minSeverity: 'warning' }, { url: rx.url('/b'), secret: SECRET, minSeverity: 'warning' }] });
  const alarms = await createAlarms({ ...env, rules, clock: () => clock.now, tickMs: 0, deliveryMs: 0, outbox: { retryBaseMs: 10, maxDelayMs: 10, maxAttempts: 3 } });
  const c = startCall(env.bus);
  env.bus.emit('call.event', { callId: c.callId, kind: 'category', tMs: 1, data: { category: 'escalation-request' } });
  for (let i = 0; i < 5; i++) {
    await alarms.deliverWebhooks();
    clock.now += 10;
  }
  t.equal(rx.hits.length, 6, 'three attempts per destination, then no more');
  t.equal(alarms.outboxDepth(), 0, 'given-up rows leave the depth');
  t.same(dbOf(env.store).prepare('SELECT attempts, delivered_at, last_error FROM outbox ORDER BY id').all(), [
    { attempts: 3, delivered_at: null, last_error: 'HTTP 500' },
    { attempts: 3, delivered_at: null, last_error: 'HTTP 500' },
  ]);
  await alarms.close();
  env.store.close();

  // Restart with /b removed from the config: its pending row is kept for the record, not sent.
  const env2 = testEnv(dir, { webhooks: [{ url: rx.url('/a'), secret: SECRET, minSeverity: 'warning' }] });
  const again = await createAlarms({ ...env2, rules, clock: () => clock.now, tickMs: 0, deliveryMs: 0 });
  t.teardown(() => again.close());
  dbOf(env2.store).prepare('UPDATE outbox SET next_at = 0, attempts = 0').run(); // an operator's "retry all"
  rx.state.status = 200;
  t.equal(await again.deliverWebhooks(), 1);
  t.same(rx.delivered().map((h) => h.path), ['/a']);
  t.match(dbOf(env2.store).prepare('SELECT last_error FROM outbox WHERE destination LIKE ?').get('%/b'), { last_error: 'destination no longer configured' });
  t.equal(again.outboxDepth(), 0);
});
