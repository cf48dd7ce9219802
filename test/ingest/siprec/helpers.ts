// Shared set-up for SIPREC tests: a real ingest on ephemeral ports with its own registry and bus.
import pino, { type Logger } from 'pino';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import type { AudioChunk, CallEvent, LegInfo, LegStats } from '../../../src/call/types.js';
import { validateConfig, type Config } from '../../../src/config/index.js';
import { createMetrics, type Metrics } from '../../../src/metrics/registry.js';
import { createSiprecIngest, type SiprecIngest, type SiprecOptions } from '../../../src/ingest/siprec/index.js';

export interface Harness {
  ingest: SiprecIngest;
  bus: PipelineBus;
  calls: CallRegistry;
  metrics: Metrics;
  config: Config;
  audio: Map<string, AudioChunk[]>;
  legs: LegInfo[];
  events: CallEvent[];
  stats: Map<string, LegStats>;
  ended: string[];
}

export function testConfig(patch: (c: Config) => void = () => {}): Config {
  const base = 30000 + 2 * Math.floor(Math.random() * 10000);
  const c = validateConfig({ sip: { host: '127.0.0.1', port: 0 }, rtp: { host: '127.0.0.1', portMin: base, portMax: base + 200 } });
  patch(c);
  return c;
}

export async function startIngest(t: { teardown(fn: () => unknown): void }, patch?: (c: Config) => void, maxCalls = 10, opts: SiprecOptions = {}, log: Logger = pino({ level: 'silent' })): Promise<Harness> {
  const config = testConfig(patch);
  const bus = new PipelineBus();
  const calls = new CallRegistry(bus, maxCalls);
  const metrics = createMetrics({ defaults: false });
  const h: Harness = { ingest: undefined as unknown as SiprecIngest, bus, calls, metrics, config, audio: new Map(), legs: [], events: [], stats: new Map(), ended: [] };
  bus.on('leg.audio', (a) => {
    const list = h.audio.get(a.legId) ?? [];
    list.push(a);
    h.audio.set(a.legId, list);
  });
  bus.on('leg.added', (l) => h.legs.push(l));
  bus.on('call.event', (e) => h.events.push(e));
  bus.on('leg.stats', (s) => h.stats.set(s.legId, s.stats));
  bus.on('call.ended', (e) => h.ended.push(e.callId));
  h.ingest = await createSiprecIngest({ config, log, bus, calls, metrics }, opts);
  t.teardown(() => h.ingest.close());
  return h;
}

/** Concatenated audio of a leg in time order. */
export function legPcm(h: Harness, legId: string): Int16Array {
  const chunks = [...(h.audio.get(legId) ?? [])].sort((a, b) => a.tMs - b.tMs);
  const out = new Int16Array(chunks.reduce((n, c) => n + c.samples.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c.samples, o);
    o += c.samples.length;
  }
  return out;
}

export async function metricValue(m: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  let sum = 0;
  for (const v of data.values) {
    if (Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val)) sum += v.value;
  }
  return sum;
}

export const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
};

/**
 * A debug logger that keeps the SDP of every 200 we send to an INVITE (from the SIP log's debug
 * line; the redaction keeps SDP), so a test learns the ports we answered without parsing sipp's output.
 */
export function answerLog(): { log: Logger; answers: string[] } {
  const answers: string[] = [];
  const log = pino({ level: 'debug' }, {
    write(chunk: string) {
      for (const l of chunk.split('\n')) {
        if (!l) continue;
        const o = JSON.parse(l) as { msg?: string; sip?: string };
        if (o.msg === 'SIP out 200 INVITE (message)' && o.sip) answers.push(o.sip);
      }
    },
  });
  return { log, answers };
}
