// Domain objects for store tests. Ids are fixed strings so failures are readable.
import type { CallInfo, LegInfo, Utterance } from '../../../src/call/types.js';
import type { Metrics } from '../../../src/metrics/registry.js';

export function call(n: number, patch: Partial<CallInfo> = {}): CallInfo {
  return { callId: `call-${n}`, ingest: 'siprec', externalId: `ext-${n}`, startedAt: 1_700_000_000_000 + n * 1000, ...patch };
}

export function leg(callId: string, role: LegInfo['role'], patch: Partial<LegInfo> = {}): LegInfo {
  return { legId: `${callId}-${role}`, callId, role, label: role === 'agent' ? '1' : '0', ...patch };
}

export function utterance(l: LegInfo, seq: number, patch: Partial<Utterance> = {}): Utterance {
  return {
    callId: l.callId,
    legId: l.legId,
    role: l.role,
    seq,
    text: `utterance ${seq} of [NAME]`,
    lang: 'en',
    startMs: seq * 1000,
    endMs: seq * 1000 + 800,
    sentiment: -0.25,
    emotion: 'frustrated',
    emotionConfidence: 0.5,
    categories: ['billing'],
    redactions: 1,
    ...patch,
  };
}

/** Sum of a counter/gauge's values whose labels match `labels`. */
export async function metricValue(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want))
    .reduce((s, v) => s + v.value, 0);
}
