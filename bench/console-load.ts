/// <reference lib="dom" />
// Live console under load: 200 active calls, utterances pushed through the live hub.
//  1. Websocket fan-out: messages/s delivered to CLIENTS console clients through createWebServer's
//     hub (sequence numbers, ring buffer, per-client queues), against a plain `ws` broadcast of the
//     same JSON in the same run (the ratio is the hub's overhead).
//  2. Browser: the wallboard in headless Chromium with 200 tiles while utterances stream at RATE/s;
//     frame interval (median, p95) against the same page idle.
//   npm run build && node dist/bench/console-load.js [messages] [rate]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { pino } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { PipelineBus } from '../src/call/events.js';
import { CallRegistry } from '../src/call/registry.js';
import type { Utterance } from '../src/call/types.js';
import { validateConfig } from '../src/config/index.js';
import { createMetrics } from '../src/metrics/registry.js';
import { openStore } from '../src/store/index.js';
import { createUser, createWebServer } from '../src/web/index.js';

const MESSAGES = Number(process.argv[2] ?? 20_000);
const RATE = Number(process.argv[3] ?? 400);
const CALLS = 200;
const CLIENTS = 10;
const PASSWORD = 'bench password 1';
const EMOTIONS = ['angry', 'frustrated', 'neutral', 'satisfied'] as const;

const dir = mkdtempSync(join(tmpdir(), 'earshot-console-bench-'));
const store = openStore({ path: join(dir, 'bench.db') });
createUser(store.repos.users, { username: 'bench', role: 'supervisor', password: PASSWORD });
const bus = new PipelineBus();
const calls = new CallRegistry(bus, 10_000);
const app = await createWebServer({
  config: validateConfig({}),
  log: pino({ level: 'silent' }),
  bus,
  calls,
  metrics: createMetrics({ defaults: false }),
  store,
  alarms: { ack: () => { throw new Error('unused'); }, resolve: () => { throw new Error('unused'); } },
  readiness: () => ({}),
  tuning: { live: { maxBufferedBytes: 256 * 1024 * 1024, ringSize: 5000 } },
});
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as { port: number }).port;
const base = `http://127.0.0.1:${port}`;
const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'bench', password: PASSWORD } });
const cookie = `earshot_sid=${login.cookies.find((c) => c.name === 'earshot_sid')!.value}`;

const legs: { callId: string; legId: string; role: 'customer' | 'agent' }[] = [];
for (let i = 0; i < CALLS; i++) {
  const c = calls.open({ ingest: 'siprec', externalId: `b${i}`, agentId: `agent-${String(i).padStart(3, '0')}`, queue: ['support', 'sales', 'billing'][i % 3] });
  legs.push({ callId: c.info.callId, legId: calls.addLeg(c.info.callId, { role: 'customer', label: '0' }).legId, role: 'customer' });
  legs.push({ callId: c.info.callId, legId: calls.addLeg(c.info.callId, { role: 'agent', label: '1' }).legId, role: 'agent' });
}
const utterance = (i: number): Utterance => {
  const l = legs[i % legs.length];
  return {
    callId: l.callId, legId: l.legId, role: l.role, seq: i, text: 'this is a typical redacted utterance of a dozen words or so', lang: 'en',
    startMs: i * 100, endMs: i * 100 + 2000, sentiment: Math.sin(i) * 0.9, emotion: EMOTIONS[i % 4], emotionConfidence: 0.7, categories: i % 50 ? [] : ['cancel-intent'], redactions: 0,
  };
};

/** Connects n clients; resolves with a function that waits until each has received `count` messages. */
async function clients(url: string, n: number, headers: Record<string, string>) {
  const counts = new Array(n).fill(0);
  const sockets = await Promise.all(
    Array.from({ length: n }, (_, k) => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.on('message', () => counts[k]++);
      ws.on('open', () => resolve(ws));
      ws.on('error', reject);
    })),
  );
  const reached = async (count: number) => {
    while (counts.some((c) => c < count)) await new Promise((r) => setTimeout(r, 5));
  };
  return { sockets, counts, reached };
}

let seq = 0;
async function hubRate(): Promise<number> {
  const c = await clients(`ws://127.0.0.1:${port}/api/v1/live`, CLIENTS, { cookie });
  await c.reached(1); // hello
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    bus.emit('utterance', utterance(seq++));
    if (i % 500 === 499) await new Promise((r) => setImmediate(r)); // let sockets drain, as real traffic would
  }
  await c.reached(1 + MESSAGES);
  const s = (performance.now() - t0) / 1000;
  c.sockets.forEach((ws) => ws.close());
  return (MESSAGES * CLIENTS) / s;
}

async function baselineRate(): Promise<number> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const c = await clients(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`, CLIENTS, {});
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    const { text: _t, ...brief } = utterance(i);
    const json = JSON.stringify({ type: 'utterance', seq: i, data: brief });
    for (const ws of wss.clients) ws.send(json);
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  await c.reached(MESSAGES);
  const s = (performance.now() - t0) / 1000;
  c.sockets.forEach((ws) => ws.close());
  await new Promise((r) => wss.close(r));
  return (MESSAGES * CLIENTS) / s;
}

async function browserFrames(): Promise<{ idle: number[]; busy: number[]; shown: number }> {
  const server = await chromium.launchServer({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const browser = await chromium.connect(server.wsEndpoint());
    const page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1920, height: 1080 } })).newPage();
    await page.goto(base);
    await page.fill('#login-username', 'bench');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="call-tile"]').length === n, CALLS);
    const sample = (ms: number) =>
      page.evaluate(
        (ms) =>
          new Promise<number[]>((resolve) => {
            const out: number[] = [];
            let last = performance.now();
            const end = last + ms;
            const step = (now: number) => {
              out.push(now - last);
              last = now;
              if (now < end) requestAnimationFrame(step);
              else resolve(out);
            };
            requestAnimationFrame(step);
          }),
        ms,
      );
    const idle = await sample(3000);
    let i = seq;
    const timer = setInterval(() => {
      for (let k = 0; k < RATE / 20; k++) bus.emit('utterance', utterance(i++));
    }, 50);
    const busy = await sample(5000);
    clearInterval(timer);
    const shown = await page.evaluate(() => document.querySelectorAll('[data-testid="call-tile"]').length);
    await browser.close();
    return { idle, busy, shown };
  } finally {
    await server.close();
  }
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

// Alternate the two and keep each one's best of three: the machine is shared and noisy.
let base0 = 0;
let hub = 0;
for (let round = 0; round < 3; round++) {
  base0 = Math.max(base0, await baselineRate());
  hub = Math.max(hub, await hubRate());
}
console.log(`ws fan-out (best of 3): ${Math.round(hub)} msg/s delivered to ${CLIENTS} clients through the live hub; plain ws broadcast ${Math.round(base0)} msg/s; ratio ${(hub / base0).toFixed(2)}`);
const f = await browserFrames();
const [im, ip, bm, bp] = [pct(f.idle, 0.5), pct(f.idle, 0.95), pct(f.busy, 0.5), pct(f.busy, 0.95)];
console.log(`browser (${f.shown} tiles, ${RATE} utterances/s): frame median ${bm.toFixed(1)} ms, p95 ${bp.toFixed(1)} ms; idle median ${im.toFixed(1)} ms, p95 ${ip.toFixed(1)} ms; p95 ratio ${(bp / ip).toFixed(2)}`);
await app.close();
store.close();
rmSync(dir, { recursive: true, force: true });
