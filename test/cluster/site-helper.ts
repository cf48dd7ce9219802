// Shared by the multi-process cluster tests (secure-bus, ingest-loss, netns-site): a bounded poll and
// the two-leg SIPREC call's audio (flite's supervisor script as μ-law RTP in a pcap for sipp).
import { join } from 'node:path';
import { legPackets, speechUlaw, writePcap } from '../fixtures/sipp/harness.js';
import { SUPERVISOR_SCRIPT } from '../metrics/siprec-rig.js';

/** Polls `f` every 100 ms until it returns a truthy value; `ms` bounds a hang, it is not a speed assertion. */
export async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The agent and customer legs of the supervisor script in `dir/two-leg.pcap`; `durMs`: the call's audio plus a margin. */
export function supervisorCallPcap(dir: string): { pcap: string; durMs: number } {
  const agent = speechUlaw(dir, 'agent', SUPERVISOR_SCRIPT.agent, 'kal16');
  const customer = speechUlaw(dir, 'customer', SUPERVISOR_SCRIPT.customer, 'kal16');
  const pcap = join(dir, 'two-leg.pcap');
  writePcap(pcap, [
    ...legPackets(agent.ulaw, { ssrc: 0x1111, srcPort: 7000, dstPort: 9000, t0: 1 }),
    ...legPackets(customer.ulaw, { ssrc: 0x2222, srcPort: 7002, dstPort: 9002, t0: 1.001 }),
  ].sort((a, b) => a.t - b.t));
  return { pcap, durMs: Math.ceil((Math.max(agent.ulaw.length, customer.ulaw.length) / 8000) * 1000) + 800 };
}
