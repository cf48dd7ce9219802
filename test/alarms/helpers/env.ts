// Test wiring as main.ts does it: the bus, the real SQLite store (a file in the test's dir)
// persisting from the bus, metrics and config with defaults.
import { join } from 'node:path';
import { pino } from 'pino';
import { PipelineBus } from '../../../src/call/events.js';
import type { CallInfo, LegInfo, Role } from '../../../src/call/types.js';
import { validateConfig } from '../../../src/config/index.js';
import type { Config } from '../../../src/config/schema.js';
import type { Logger } from 'pino';
import { createMetrics, type Metrics } from '../../../src/metrics/registry.js';
import type { Store } from '../../../src/store/types.js';
import { connectStore, openStore } from '../../../src/store/index.js';

export interface TestEnv {
  bus: PipelineBus;
  store: Store;
  metrics: Metrics;
  config: Config;
  log: Logger;
}

export function testEnv(dir: string, overrides: Record<string, unknown> = {}, dbName?: string): TestEnv {
  const bus = new PipelineBus();
  bus.onListenerError = (event, err) => {
    throw Object.assign(new Error(`listener of ${event} threw: ${(err as Error).message}`), { cause: err });
  };
  const log = pino({ level: 'silent' });
  const metrics = createMetrics({ defaults: false });
  const store = openStore({ path: join(dir, dbName ?? 'earshot.db'), log, metrics });
  connectStore(store, bus);
  return { bus, store, metrics, config: validateConfig(overrides), log };
}

let n = 0;
/** Starts a call with an agent and a customer leg; returns their ids. */
export function startCall(bus: PipelineBus, info: Partial<CallInfo> = {}): { callId: string; agent: string; customer: string; info: CallInfo } {
  n++;
  const call: CallInfo = { callId: `call-${n}-${Math.random().toString(36).slice(2, 8)}`, ingest: 'import', externalId: `ext-${n}-${Math.random()}`, startedAt: 1_700_000_000_000, ...info };
  bus.emit('call.started', call);
  const leg = (role: Role, label: string): LegInfo => ({ legId: `${call.callId}-${role}`, callId: call.callId, role, label });
  const a = leg('agent', '1');
  const c = leg('customer', '0');
  bus.emit('leg.added', a);
  bus.emit('leg.added', c);
  return { callId: call.callId, agent: a.legId, customer: c.legId, info: call };
}

export async function counterValue(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = metrics.registry.getSingleMetric(name);
  if (!m) return 0;
  const data = await m.get();
  return data.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
}
