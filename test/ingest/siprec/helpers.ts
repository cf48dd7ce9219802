// Shared set-up for SIPREC tests: a real ingest on ephemeral ports with its own registry and bus.
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import type { AudioChunk, CallEvent, LegInfo, LegStats } from '../../../src/call/types.js';
import { validateConfig, type Config } from '../../../src/config/index.js';
import { createMetrics, type Metrics } from '../../../src/metrics/registry.js';
import { createSiprecIngest, type SiprecIngest, type SiprecOptions } from '../../../src/ingest/siprec/index.js';
import { freePort, legPackets, runSipp, speechUlaw, writePcap } from '../../fixtures/sipp/harness.js';

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

type Speech = ReturnType<typeof speechUlaw>;

/**
 * A real SRC call: flite speech for the agent (label 1, voice kal) and the customer (label 2, slt) as a
 * two-leg PCMU pcap, label 1 on the lower port and label 2 two above as the SDP offers them, which sipp
 * replays with `scenario` against a fresh ingest until both legs are sent.
 */
export async function sippTwoLegCall(
  t: { testdir(): string; teardown(fn: () => unknown): void },
  scenario: string,
  say: { agent: string; customer: string },
): Promise<{ h: Harness; run: Awaited<ReturnType<typeof runSipp>>; agent: Speech; customer: Speech }> {
  const dir = t.testdir();
  const agent = speechUlaw(dir, 'agent', say.agent, 'kal');
  const customer = speechUlaw(dir, 'customer', say.customer, 'slt');
  const pcapFile = path.join(dir, 'two-leg.pcap');
  const pkts = [...legPackets(agent.ulaw, { ssrc: 0x1111, srcPort: 7000, dstPort: 9000, t0: 1 }), ...legPackets(customer.ulaw, { ssrc: 0x2222, srcPort: 7002, dstPort: 9002, t0: 1.001 })].sort((a, b) => a.t - b.t);
  writePcap(pcapFile, pkts);
  const h = await startIngest(t);
  const sippPort = await freePort();
  const mediaPort = await freePort(4);
  const durMs = Math.ceil((Math.max(agent.ulaw.length, customer.ulaw.length) / 8000) * 1000) + 800;
  const run = await runSipp(t, dir, scenario, { PCAP: pcapFile, PAUSE: String(durMs) }, `127.0.0.1:${h.ingest.address().udp}`, ['-p', String(sippPort), '-mp', String(mediaPort)]);
  return { h, run, agent, customer };
}

/** Samples of `src` that the decoded leg `got` does not reproduce exactly. */
export function mismatches(got: Int16Array, src: Int16Array): number {
  let n = 0;
  for (let i = 0; i < src.length; i++) if (got[i] !== src[i]) n++;
  return n;
}
