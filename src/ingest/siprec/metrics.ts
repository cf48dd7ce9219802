// The SIPREC ingest's Prometheus metrics. Labels are bounded enums (method, status code, codec,
// ingest): never call ids, numbers or AORs. Metrics another ingest may also declare are looked up
// first so two ingests on one registry do not collide.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Metrics } from '../../metrics/registry.js';

const METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'INFO', 'UPDATE', 'REGISTER', 'SUBSCRIBE', 'NOTIFY', 'PRACK', 'MESSAGE', 'REFER']);
export const methodLabel = (m: string): string => (METHODS.has(m) ? m : 'other');

function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export interface IngestMetrics {
  sipRequests: Counter<'method'>;
  sipResponses: Counter<'code'>;
  rtpPackets: Counter<'ingest'>;
  rtpLost: Counter<'ingest'>;
  rtpDropped: Counter<'reason'>;
  decodeErrors: Counter<'codec'>;
  jitter: Histogram<'ingest'>;
  mos: Histogram<'ingest'>;
  callsActive: Gauge<'ingest'>;
  /** SIPREC offers CANCELled before the answer (487, no call opened). */
  cancelled: Counter;
  /** SRTP packets that failed authentication (wrong key, tampering); dropped. */
  srtpAuthFailures: Counter;
  /** Legs latched to an RTP source other than their SDP address (rtp.latching: latch). */
  rtpLatched: Counter;
  /** SIPREC calls' streams given a role, by the rule that decided it (order = the fallback). */
  roles: Counter<'by'>;
  /** Per-call SIP log rows not kept, by reason (cap: the dialog's row cap; store: the write failed). */
  sipLogDropped: Counter<'reason'>;
  /** HEP copies to Homer not sent, by reason (send: socket error; oversized: past one datagram). */
  hepErrors: Counter<'reason'>;
  badInput: Metrics['badInput'];
}

export function createIngestMetrics(metrics: Metrics): IngestMetrics {
  const registers = [metrics.registry];
  const r = metrics.registry;
  return {
    badInput: metrics.badInput,
    sipRequests: reuse(r, 'earshot_sip_requests_total', () => new Counter({ name: 'earshot_sip_requests_total', help: 'SIP requests received, by method', labelNames: ['method'] as const, registers })),
    sipResponses: reuse(r, 'earshot_sip_responses_total', () => new Counter({ name: 'earshot_sip_responses_total', help: 'SIP responses sent, by status code', labelNames: ['code'] as const, registers })),
    rtpPackets: reuse(r, 'earshot_rtp_packets_total', () => new Counter({ name: 'earshot_rtp_packets_total', help: 'RTP packets accepted', labelNames: ['ingest'] as const, registers })),
    rtpLost: reuse(r, 'earshot_rtp_lost_total', () => new Counter({ name: 'earshot_rtp_lost_total', help: 'RTP packets lost (RFC 3550 expected minus received)', labelNames: ['ingest'] as const, registers })),
    rtpDropped: reuse(r, 'earshot_rtp_dropped_total', () => new Counter({ name: 'earshot_rtp_dropped_total', help: 'RTP packets dropped, by reason', labelNames: ['reason'] as const, registers })),
    decodeErrors: reuse(r, 'earshot_codec_decode_errors_total', () => new Counter({ name: 'earshot_codec_decode_errors_total', help: 'Payloads a decoder rejected, by codec', labelNames: ['codec'] as const, registers })),
    // Base units (seconds), as Prometheus naming asks.
    jitter: reuse(r, 'earshot_rtp_jitter_seconds', () => new Histogram({ name: 'earshot_rtp_jitter_seconds', help: 'RFC 3550 interarrival jitter per leg, sampled with leg stats', labelNames: ['ingest'] as const, buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16], registers })),
    mos: reuse(r, 'earshot_rtp_mos', () => new Histogram({ name: 'earshot_rtp_mos', help: 'E-model MOS estimate per leg, sampled with leg stats', labelNames: ['ingest'] as const, buckets: [1.5, 2, 2.5, 3, 3.5, 4, 4.2, 4.4], registers })),
    // SIP dialogs held by the SRS; calls in the pipeline are earshot_calls_active (one owner: src/metrics).
    cancelled: reuse(r, 'earshot_siprec_cancelled_total', () => new Counter({ name: 'earshot_siprec_cancelled_total', help: 'SIPREC offers cancelled by the SRC before they were answered (487; no call recorded)', registers })),
    srtpAuthFailures: reuse(r, 'earshot_srtp_auth_failures_total', () => new Counter({ name: 'earshot_srtp_auth_failures_total', help: 'SRTP packets that failed authentication (wrong key or tampering); dropped', registers })),
    rtpLatched: reuse(r, 'earshot_rtp_latched_total', () => new Counter({ name: 'earshot_rtp_latched_total', help: 'RTP legs latched to a source other than their SDP address (symmetric RTP, rtp.latching)', registers })),
    roles: reuse(r, 'earshot_siprec_roles_total', () => new Counter({ name: 'earshot_siprec_roles_total', help: 'SIPREC streams given a role, by the rule that decided (aor, name, label, mixed; order = document-order fallback: set sip.agentPattern / sip.roles)', labelNames: ['by'] as const, registers })),
    sipLogDropped: reuse(r, 'earshot_sip_log_dropped_total', () => new Counter({ name: 'earshot_sip_log_dropped_total', help: 'Per-call SIP log rows not stored, by reason (cap, store)', labelNames: ['reason'] as const, registers })),
    hepErrors: reuse(r, 'earshot_hep_errors_total', () => new Counter({ name: 'earshot_hep_errors_total', help: 'HEP v3 copies to the capture server not sent, by reason (send, oversized)', labelNames: ['reason'] as const, registers })),
    callsActive: reuse(r, 'earshot_siprec_sessions', () => new Gauge({ name: 'earshot_siprec_sessions', help: 'SIPREC recording sessions (dialogs) in progress', labelNames: ['ingest'] as const, registers })),
  };
}
