import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The alarm stage's metrics. Labels: rule ids (from the operator's rule files, so bounded) and enums. */
export interface AlarmMetrics {
  fired: Counter<'rule' | 'severity'>;
  suppressed: Counter<'rule'>;
  escalated: Counter<'rule'>;
  latency: Histogram<'rule'>;
  deliveries: Counter<'result'>;
  deliveryFailures: Counter<'reason'>;
  outboxDepth: Gauge;
  pending: Gauge;
  dropped: Counter;
}

/** Registers once per registry: a restarted service in the same process reuses the metrics. */
export function alarmMetrics(registry: Registry, outboxDepth: () => number): AlarmMetrics {
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  const depth = get('earshot_outbox_depth', () => new Gauge({ name: 'earshot_outbox_depth', help: 'Webhook deliveries not yet delivered', registers }));
  // The collect hook reads the live service's table; rebinding keeps it pointing at the newest one.
  (depth as unknown as { collect: () => void }).collect = () => depth.set(safe(outboxDepth));
  return {
    fired: get('earshot_alarms_fired_total', () => new Counter({ name: 'earshot_alarms_fired_total', help: 'Alarms raised, by rule and severity', labelNames: ['rule', 'severity'] as const, registers })),
    suppressed: get('earshot_alarms_suppressed_total', () => new Counter({ name: 'earshot_alarms_suppressed_total', help: 'Alarm triggers swallowed by a rule cooldown', labelNames: ['rule'] as const, registers })),
    escalated: get('earshot_alarms_escalated_total', () => new Counter({ name: 'earshot_alarms_escalated_total', help: 'Alarms escalated for not being acknowledged in time', labelNames: ['rule'] as const, registers })),
    latency: get('earshot_alarm_latency_seconds', () => new Histogram({ name: 'earshot_alarm_latency_seconds', help: 'From receiving the triggering event to emitting the alarm', labelNames: ['rule'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers })),
    deliveries: get('earshot_webhook_deliveries_total', () => new Counter({ name: 'earshot_webhook_deliveries_total', help: 'Webhook delivery attempts by result', labelNames: ['result'] as const, registers })),
    deliveryFailures: get('earshot_webhook_delivery_failures_total', () => new Counter({ name: 'earshot_webhook_delivery_failures_total', help: 'Failed webhook delivery attempts by reason', labelNames: ['reason'] as const, registers })),
    outboxDepth: depth,
    pending: get('earshot_alarms_pending_store', () => new Gauge({ name: 'earshot_alarms_pending_store', help: 'Alarms raised but not yet stored (the store refuses writes); sent once stored', registers })),
    dropped: get('earshot_alarms_dropped_total', () => new Counter({ name: 'earshot_alarms_dropped_total', help: 'Alarms lost because too many waited for the store', registers })),
  };
}

function safe(f: () => number): number {
  try {
    return f();
  } catch {
    return 0; // database closed during shutdown
  }
}
