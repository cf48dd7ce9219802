// Shared test rig for the fork endpoints: a real Fastify app with @fastify/websocket and the fork
// plugin on 127.0.0.1:0, the real registry/bus/metrics, and recorders for what reaches the bus.
import websocket from '@fastify/websocket';
import fastify from 'fastify';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { PipelineBus } from '../../../src/call/events.js';
import { CallIdentity } from '../../../src/call/identity.js';
import { CallRegistry } from '../../../src/call/registry.js';
import type { AudioChunk, CallEvent, CallInfo, CallState, LegInfo } from '../../../src/call/types.js';
import { validateConfig } from '../../../src/config/index.js';
import { forkRoutes } from '../../../src/ingest/fork/index.js';
import { createMetrics } from '../../../src/metrics/registry.js';

/**
 * Fork ingest is closed by default: the rig configures one key for every protocol (and AudioSocket
 * from loopback) unless a test passes its own `apiKeys`; `connect` presents it unless told otherwise.
 */
export const RIG_KEY = 'rig-key-0123456789abcdef';
export const RIG_AUTH = { authorization: `Bearer ${RIG_KEY}` };

export function makeDeps(forks: Record<string, unknown> = {}) {
  const withKey = 'apiKeys' in forks ? forks : { ...forks, apiKeys: [{ name: 'rig', key: RIG_KEY, protocols: ['audio-fork', 'jambonz', 'audiohook', 'ari', 'audiosocket'], allow: ['127.0.0.0/8'] }] };
  const config = validateConfig({ forks: withKey });
  const bus = new PipelineBus();
  const identity = new CallIdentity('fork-rig-salt-0123456789');
  const calls = new CallRegistry(bus, 10, { identity });
  const metrics = createMetrics({ defaults: false });
  // Real pino into memory: tests read what an operator would see (per-call binding, no PII).
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const legs: LegInfo[] = [];
  const audio = new Map<string, AudioChunk[]>();
  const ended: { callId: string; state: CallState }[] = [];
  const events: CallEvent[] = [];
  const started: string[] = [];
  const infos: CallInfo[] = [];
  bus.on('call.started', (c) => (started.push(c.callId), infos.push(c)));
  bus.on('leg.added', (l) => legs.push(l));
  bus.on('leg.audio', (a) => (audio.get(a.legId) ?? audio.set(a.legId, []).get(a.legId)!).push(a));
  bus.on('call.ended', (e) => ended.push(e));
  bus.on('call.event', (e) => events.push(e));
  const bad = async (parser: string, reason: string) =>
    (await metrics.registry.getSingleMetric('earshot_bad_input_total')!.get()).values.find((v) => v.labels.parser === parser && v.labels.reason === reason)?.value ?? 0;
  const samplesOf = (role: string, callId?: string) => {
    const leg = legs.find((l) => l.role === role && (!callId || l.callId === callId));
    return leg ? Int16Array.from((audio.get(leg.legId) ?? []).flatMap((c) => [...c.samples])) : new Int16Array(0);
  };
  return { deps: { config, bus, calls, metrics, log }, logs, calls, metrics, legs, audio, ended, events, started, infos, identity, bad, samplesOf };
}

export async function startApp(t: { teardown(fn: () => unknown): void }, forks: Record<string, unknown> = {}) {
  const rig = makeDeps(forks);
  const app = fastify({ logger: false });
  await app.register(websocket);
  await app.register(forkRoutes(rig.deps));
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const port = (app.server.address() as { port: number }).port;
  return { ...rig, app, url: `ws://127.0.0.1:${port}` };
}

/** Polls until `pred` holds (bounded): the bus is fed by socket I/O, so tests wait for state, not time. */
export async function until(pred: () => boolean, what = 'condition', ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Client {
  ws: WebSocket;
  texts: string[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a real ws client; resolves when open, rejects with the HTTP status if the upgrade is refused. */
export function connect(url: string, protocol?: string, headers: Record<string, string> = RIG_AUTH): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol ? [protocol] : [], { headers });
    const texts: string[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (d, isBinary) => {
      if (!isBinary) texts.push(d.toString());
    });
    ws.once('open', () => resolve({ ws, texts, closed }));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

/** Interleaved little-endian s16 from per-channel arrays. */
export function interleave(...chans: number[][]): Buffer {
  const n = chans[0].length;
  const b = Buffer.alloc(n * chans.length * 2);
  for (let i = 0; i < n; i++) for (let c = 0; c < chans.length; c++) b.writeInt16LE(chans[c][i], (i * chans.length + c) * 2);
  return b;
}

export const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
