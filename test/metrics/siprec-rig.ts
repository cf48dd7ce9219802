// A SIPREC call into the real appliance: sipp (a real SRC) sends a two-leg SIPREC INVITE whose PCMU
// legs carry flite speech, replays the RTP, and hangs up with BYE. Used by the end-to-end SIPREC
// test and by the metrics scrape test, which both need a real call through every stage.
import path from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/schema.js';
import { startAppliance, type Appliance } from '../../src/main.js';
import { freePort, legPackets, runSipp, speechUlaw, writePcap, type SippRun } from '../fixtures/sipp/harness.js';

export interface SiprecCall {
  appliance: Appliance;
  run: SippRun;
  /** Our call id, once the INVITE opened it. */
  callId: string;
}

interface Tap {
  teardown(fn: () => unknown): void;
  testdir(): string;
}

/** What each party says; the scenario sends label 1 (agent) and label 2 (customer). */
export interface Script {
  agent: string;
  customer: string;
}

export const SUPERVISOR_SCRIPT: Script = {
  agent: 'Thank you for calling customer support. How can I help you today?',
  customer: 'This is ridiculous. I want to speak to your supervisor right now.',
};

/** A logger with the product logger's options (src/log.ts createLogger) writing every line, at trace, into `lines`. */
export function memoryLogger(lines: string[]): Logger {
  return pino(
    {
      level: 'trace',
      base: { svc: 'earshot' },
      redact: { paths: ['text', '*.text', 'aor', '*.aor', 'name', 'participant', '*.participant', 'password', '*.password', 'req.headers.cookie', 'req.headers["x-api-key"]'], censor: '[redacted]' },
    },
    { write: (s: string) => void lines.push(s) },
  );
}

/** The appliance on loopback with the embedded SIP front on a free port and speech on. */
export async function startSiprecAppliance(t: Tap, dir: string, patch: (c: Record<string, unknown>) => void = () => {}, log: Logger = pino({ level: 'silent' })): Promise<{ appliance: Appliance; config: Config }> {
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 10000);
  const raw: Record<string, unknown> = {
    dataDir: path.join(dir, 'data'),
    http: { host: '127.0.0.1', port: 0 },
    sip: { front: 'embedded', host: '127.0.0.1', port: 0 },
    rtp: { host: '127.0.0.1', portMin: rtpBase, portMax: rtpBase + 200 },
    forks: { enabled: false },
    speech: { workers: 1 },
  };
  patch(raw);
  const config = validateConfig(raw);
  const appliance = await startAppliance(config, { log });
  t.teardown(() => appliance.close());
  return { appliance, config };
}

/** One SIPREC call from sipp; resolves when sipp has exited and the appliance has finished analysing it. */
export async function siprecCall(t: Tap, appliance: Appliance, dir: string, script: Script = SUPERVISOR_SCRIPT): Promise<SiprecCall> {
  const { bus, speech, store } = appliance.pipeline;
  const agent = speechUlaw(dir, 'agent', script.agent, 'kal16');
  const customer = speechUlaw(dir, 'customer', script.customer, 'kal16');
  const pcap = path.join(dir, 'two-leg.pcap');
  // Label 1 (agent) on the lower port, label 2 (customer) two above, as the SDP offers them.
  const pkts = [
    ...legPackets(agent.ulaw, { ssrc: 0x1111, srcPort: 7000, dstPort: 9000, t0: 1 }),
    ...legPackets(customer.ulaw, { ssrc: 0x2222, srcPort: 7002, dstPort: 9002, t0: 1.001 }),
  ].sort((a, b) => a.t - b.t);
  writePcap(pcap, pkts);

  let callId = '';
  const legIds: string[] = [];
  const offs = [
    bus.on('call.started', (c) => (callId ||= c.callId)),
    bus.on('leg.added', (l) => void legIds.push(l.legId)),
  ];
  const ended = new Promise<void>((resolve) => offs.push(bus.on('call.ended', () => resolve())));
  const durMs = Math.ceil((Math.max(agent.ulaw.length, customer.ulaw.length) / 8000) * 1000) + 800;
  const run = await runSipp(t, dir, 'uac-siprec-two-leg-expect-200.xml', { PCAP: pcap, PAUSE: String(durMs) }, `127.0.0.1:${appliance.sip!.udp}`, [
    '-p',
    String(await freePort()),
    '-mp',
    String(await freePort(4)),
  ]);
  if (run.code === 0) {
    await ended;
    // The call is over; recognition of what was received finishes after it.
    await Promise.all(legIds.map((id) => speech.legDone(id)));
    // Analysis, alarms and the store act synchronously on the bus: one tick for the last finals.
    await new Promise((r) => setTimeout(r, 100));
    store.flush();
  }
  for (const off of offs) off();
  return { appliance, run, callId };
}
