import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One prom-client registry per process (tests create their own). Stages declare their own
 * metrics on it through `metrics.registry`; the bad-input counter is shared because every parser
 * must count what it rejects under one name. Labels are bounded enums: never ids, numbers or names.
 */
export interface Metrics {
  readonly registry: Registry;
  /** parser: 'sip' | 'sdp' | 'rs-metadata' | 'rtp' | 'ws-fork' | 'audiohook' | 'config' | 'api' | 'rules' | ... */
  badInput(parser: string, reason: string): void;
}

export function createMetrics(opts: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'earshot_' });
  const bad = new Counter({
    name: 'earshot_bad_input_total',
    help: 'Inputs rejected by a parser or validator, by parser and reason',
    labelNames: ['parser', 'reason'] as const,
    registers: [registry],
  });
  return {
    registry,
    badInput: (parser, reason) => bad.inc({ parser, reason }),
  };
}
