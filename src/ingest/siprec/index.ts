// SIPREC ingest: an SRS (RFC 7866) recording each SIPREC session as a call with one leg per
// stream. The SIP front is chosen by config.sip.front; the core and RTP side are shared.
import type { Deps } from '../../deps.js';
import { PortPool } from '../rtp/port-pool.js';
import { startEmbeddedFront, type SipFront } from '../sip/front.js';
import { HepSender } from '../sip/hep.js';
import { SipTrace, type SipLogSink } from '../sip/trace.js';
import { SrsCore } from './core.js';
import { startDrachtioFront } from './drachtio.js';
import { createIngestMetrics } from './metrics.js';

export interface SiprecIngest {
  close(): Promise<void>;
  /** Bound SIP ports (0 when the front has no listener: drachtio, off). */
  address(): { udp: number; tcp: number };
  /** For /readyz: can the front take calls now (drachtio: is the control connection up)? */
  status(): { ok: boolean; detail: string };
}

export interface SiprecOptions {
  /** Internal-extension AOR pattern for the customer/agent rule (see roles.ts). */
  agentPattern?: RegExp;
  /** RFC 3261 Timer H for the embedded front (default 32 s); tests shorten it. */
  ackTimeoutMs?: number;
  /** Cluster: the site is full (OPTIONS 503). */
  atCapacity?: () => boolean;
}

export async function createSiprecIngest(deps: Pick<Deps, 'config' | 'log' | 'bus' | 'calls' | 'metrics'> & { store?: { repos: { sipLog: SipLogSink } } }, opts: SiprecOptions = {}): Promise<SiprecIngest> {
  const { config } = deps;
  const log = deps.log.child({ stage: 'siprec' });
  const metrics = createIngestMetrics(deps.metrics);
  const pool = new PortPool(config.rtp.portMin, config.rtp.portMax, config.rtp.host);
  const core = new SrsCore(
    { log, bus: deps.bus, calls: deps.calls, metrics, pool },
    {
      allow: config.sip.allow,
      advertise: config.rtp.advertise,
      jitterMs: config.rtp.jitterBufferMs,
      agentPattern: {
        agentAor: opts.agentPattern ?? new RegExp(config.sip.agentPattern),
        agentName: config.sip.roles.agentNames ? new RegExp(config.sip.roles.agentNames, 'iu') : undefined,
        agentLabels: new Set(config.sip.roles.agentLabels),
      },
      retryAfterSeconds: config.sip.retryAfterSeconds,
      maxStreams: config.sip.maxStreamsPerCall,
      inactivityMs: config.rtp.inactivitySeconds * 1000,
      srtp: config.rtp.srtp,
      latching: config.rtp.latching,
      latchWindowMs: config.rtp.latchWindowMs,
    },
  );
  if (opts.atCapacity) core.atCapacity = opts.atCapacity;
  const hepCfg = config.sip.hep;
  const hep = hepCfg.enabled ? new HepSender({ address: hepCfg.address, port: hepCfg.port, id: hepCfg.id, password: hepCfg.password || undefined }, (reason) => metrics.hepErrors.inc({ reason })) : undefined;
  // One SIP log for both fronts: log lines, the store's sip_log rows, HEP copies.
  const trace = new SipTrace({ log: log.child({ stage: 'sip' }), metrics, sink: deps.store?.repos.sipLog, hep, callIdOf: (id) => core.session(id)?.callId || undefined });
  let front: SipFront | undefined;
  try {
    if (config.sip.front === 'embedded') {
      const tcp = config.sip.tcp;
      front = await startEmbeddedFront(
        { core, log, metrics, trace },
        {
          host: config.sip.host,
          port: config.sip.port,
          maxMessageBytes: config.sip.maxMessageBytes,
          maxHeaders: config.sip.maxHeaders,
          maxVias: config.sip.maxVias,
          minSessionExpiresSeconds: config.sip.minSessionExpiresSeconds,
          tcp: { idleMs: tcp.idleSeconds * 1000, partialMs: tcp.partialSeconds * 1000, maxConnections: tcp.maxConnections, maxConnectionsPerIp: tcp.maxConnectionsPerIp },
          ackTimeoutMs: opts.ackTimeoutMs,
        },
      );
    } else if (config.sip.front === 'drachtio') {
      front = startDrachtioFront({ core, log, metrics, trace }, { ...config.sip.drachtio, localAddress: config.rtp.advertise || (config.rtp.host !== '0.0.0.0' && config.rtp.host !== '::' ? config.rtp.host : '') });
    }
  } catch (err) {
    core.close();
    await trace.close();
    throw err;
  }
  const sources = config.sip.allow.length ? `the local host and ${config.sip.allow.length} sip.allow entries` : 'the local host only (127.0.0.1, ::1): list your SBCs in sip.allow to open it';
  log.info({ front: config.sip.front, ...(front?.address() ?? {}), allow: sources }, `SIPREC ingest listening; accepted from ${sources}`);
  let closing: Promise<void> | undefined;
  return {
    address: () => front?.address() ?? { udp: 0, tcp: 0 },
    status: () => front?.status() ?? { ok: true, detail: 'off' },
    // Idempotent: main.ts's shutdown and a test's teardown may both close.
    close: () =>
      (closing ??= (async () => {
        await front?.close();
        core.close();
        await trace.close();
      })()),
  };
}
