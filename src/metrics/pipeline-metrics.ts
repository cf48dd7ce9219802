import { Counter, Gauge } from 'prom-client';
import type { PipelineBus } from '../call/events.js';
import type { IngestKind } from '../call/types.js';
import type { Metrics } from './registry.js';

// Kinds of call events worth their own label value; anything else is counted as 'other'
// so a new or misbehaving producer cannot grow the label set without bound.
const EVENT_KINDS = new Set(['category', 'dtmf', 'hold', 'resume', 'speech', 'behind-realtime', 'shed', 'keyword', 'keyword-watch', 'vad', 'asr-restart', 'intent', 'qa', 'metadata', 'roles']);
const SAFE_LABEL = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/**
 * Call-level counters fed from the bus: active/total calls by ingest and outcome, utterances by
 * role, alarms by rule and severity. Returns a function that detaches every listener.
 */
export function attachPipelineMetrics(bus: PipelineBus, metrics: Metrics): () => void {
  const registers = [metrics.registry];
  const active = new Gauge({ name: 'earshot_calls_active', help: 'Calls in progress, by ingest', labelNames: ['ingest'] as const, registers });
  const total = new Counter({
    name: 'earshot_calls_total',
    help: 'Finished calls, by ingest and outcome',
    labelNames: ['ingest', 'outcome'] as const,
    registers,
  });
  const utterances = new Counter({ name: 'earshot_utterances_total', help: 'Final utterances analysed, by speaker role', labelNames: ['role'] as const, registers });
  const alarms = new Counter({
    name: 'earshot_alarms_total',
    help: 'Alarms raised, by rule and severity',
    labelNames: ['rule', 'severity'] as const,
    registers,
  });
  const events = new Counter({ name: 'earshot_call_events_total', help: 'Call events, by kind', labelNames: ['kind'] as const, registers });

  // Only the ingest kind is kept per live call, to label the outcome when it ends.
  const ingestOf = new Map<string, IngestKind>();
  const off = [
    bus.on('call.started', (c) => {
      if (ingestOf.has(c.callId)) return;
      ingestOf.set(c.callId, c.ingest);
      active.inc({ ingest: c.ingest });
    }),
    bus.on('call.ended', (e) => {
      const ingest = ingestOf.get(e.callId);
      if (!ingest) return;
      ingestOf.delete(e.callId);
      active.dec({ ingest });
      total.inc({ ingest, outcome: e.state });
    }),
    bus.on('utterance', (u) => utterances.inc({ role: u.role })),
    bus.on('alarm', (a) => alarms.inc({ rule: SAFE_LABEL.test(a.rule) ? a.rule : 'invalid', severity: a.severity })),
    bus.on('call.event', (e) => events.inc({ kind: EVENT_KINDS.has(e.kind) ? e.kind : 'other' })),
  ];
  return () => off.forEach((f) => f());
}
