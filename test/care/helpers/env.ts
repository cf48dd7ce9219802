// The care stage wired as main.ts does: real SQLite store from the bus, the KPI stage, the alarm
// stage (webhook outbox delivery) and the care stage, all on one injected clock; plus a real
// fastify with the real session guard and the survey + care routes.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import Fastify from 'fastify';
import type { Test } from 'tap';
import { createAlarms, loadAlarmRules } from '../../../src/alarms/index.js';
import type { Utterance } from '../../../src/call/types.js';
import { installErrorHandling } from '../../../src/error-handler.js';
import { careRoutes, createCare } from '../../../src/care/index.js';
import { createKpi, surveyRoutes } from '../../../src/kpi/index.js';
import { createSessions, DEFAULT_AUTH } from '../../../src/web/auth/sessions.js';
import { installGuard, SESSION_COOKIE } from '../../../src/web/auth/guard.js';
import { createUser } from '../../../src/web/auth/users.js';
import { startCall, testEnv } from '../../alarms/helpers/env.js';
import { dbOf } from '../../helpers/db.js';

export const SECRET = 'a-webhook-secret-0123456789';
const rules = loadAlarmRules(new URL('../../../config/alarms/default.yaml', import.meta.url).pathname);

export async function receiver(t: Test) {
  const hits: { path: string; headers: IncomingHttpHeaders; body: Record<string, any> }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body) as Record<string, any> });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { hits, url: (p: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${p}` };
}

export async function careEnv(t: Test, overrides: Record<string, unknown> = {}, start = Date.UTC(2026, 10, 23, 10, 0, 0)) {
  const rx = await receiver(t);
  const clock = { now: start };
  const now = () => clock.now;
  const env = testEnv(t.testdir(), { webhooks: [{ url: rx.url('/hook'), secret: SECRET, minSeverity: 'info', events: ['case.*', 'survey.requested'] }], ...overrides });
  const kpi = createKpi({ config: env.config, log: env.log, bus: env.bus, store: env.store, metrics: env.metrics });
  const alarms = await createAlarms({ ...env, rules, clock: now, tickMs: 0, deliveryMs: 0 });
  const draws: number[] = [];
  const care = createCare({ ...env, alarmRules: () => alarms.rules(), clock: now, checkMs: 0, random: () => draws.shift() ?? 0 });
  t.teardown(async () => {
    care.close();
    await alarms.close();
    kpi.close();
    env.store.close();
  });
  return { ...env, rx, clock, kpi, alarms, care, draws };
}

export type CareEnv = Awaited<ReturnType<typeof careEnv>>;

let seq = 0;
/**
 * One finished call through the bus: customer and agent utterances (sentiment, text, categories),
 * category events and holds, then call.ended (the KPI stage writes the summary, care reacts).
 */
export function playCall(
  e: CareEnv,
  o: { agentId?: string; customerHash?: string; queue?: string; externalId?: string; ingest?: 'import' | 'conversation'; turns: { role: 'agent' | 'customer'; text: string; sentiment?: number; categories?: string[]; holdAfter?: boolean }[] },
): string {
  const c = startCall(e.bus, { agentId: o.agentId, customerHash: o.customerHash, queue: o.queue, startedAt: e.clock.now, ...(o.externalId ? { externalId: o.externalId } : {}), ...(o.ingest ? { ingest: o.ingest } : {}) });
  let t = 0;
  for (const turn of o.turns) {
    const legId = turn.role === 'agent' ? c.agent : c.customer;
    const u: Utterance = {
      callId: c.callId, legId, role: turn.role, seq: ++seq, text: turn.text, lang: /\p{Script=Han}/u.test(turn.text) ? 'zh' : 'en', startMs: t, endMs: t + 2000,
      sentiment: turn.sentiment ?? 0, emotion: 'neutral', emotionConfidence: 0.5, categories: turn.categories ?? [], redactions: 0,
    };
    e.bus.emit('utterance', u);
    for (const cat of turn.categories ?? []) e.bus.emit('call.event', { callId: c.callId, legId, kind: 'category', tMs: t + 2000, data: { category: cat } });
    if (turn.holdAfter) e.bus.emit('call.event', { callId: c.callId, kind: 'hold', tMs: t + 2500 });
    t += 3000;
  }
  e.store.flush();
  e.bus.emit('call.ended', { callId: c.callId, state: 'ended', endedAt: e.clock.now + Math.max(t, 20_000) });
  e.store.flush();
  return c.callId;
}

/** A real fastify with the real guard, sessions for a supervisor and a viewer, and the survey and care routes. */
export async function serveApi(t: Test, e: CareEnv) {
  const sessions = createSessions(dbOf(e.store), { ...DEFAULT_AUTH, idleMs: 0 });
  createUser(dbOf(e.store), { username: 'sam', role: 'supervisor', password: 'a long password' });
  createUser(dbOf(e.store), { username: 'vic', role: 'viewer', password: 'a long password' });
  const app = Fastify();
  installErrorHandling(app, e.metrics); // as src/web/index.ts does on the root
  await app.register(fastifyCookie);
  installGuard(app, sessions, e.metrics);
  await app.register(surveyRoutes({ store: e.store, metrics: e.metrics, config: e.config, clock: () => e.clock.now, onSurvey: (s) => e.care.onSurvey(s) }), { prefix: '/api/v1' });
  await app.register(careRoutes({ store: e.store, cases: e.care.cases, metrics: e.metrics, clock: () => e.clock.now, answerWindowDays: 7 }), { prefix: '/api/v1' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1`;
  const as = async (name: string) => {
    const r = await sessions.login(name, 'a long password', '127.0.0.1');
    if (!r.ok) throw new Error('login failed');
    const headers = { cookie: `${SESSION_COOKIE}=${r.token}`, 'x-csrf-token': r.session.csrf };
    return {
      get: async (path: string) => {
        const res = await fetch(base + path, { headers });
        return { status: res.status, body: (await res.json()) as Record<string, any> };
      },
      post: async (path: string, body: unknown) => {
        const res = await fetch(base + path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as Record<string, any> };
      },
    };
  };
  return { supervisor: await as('sam'), viewer: await as('vic') };
}
