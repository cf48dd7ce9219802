import { join } from 'node:path';
import type { PipelineBus } from '../../../src/call/events.js';
import type { Logger } from 'pino';
import { createAlarms, type AlarmService } from '../../../src/alarms/index.js';
import type { Alarm } from '../../../src/call/types.js';
import type { Config } from '../../../src/config/schema.js';
import type { Metrics } from '../../../src/metrics/registry.js';
import { openStore } from '../../../src/store/index.js';
import { ALARM_READS } from '../../../src/alarms/reads.js';
import { RULE_READS } from '../../../src/analysis/rules/reads.js';
import { REPORT_READS } from '../../../src/web/reports/reads.js';
import type { AlarmRow, Store } from '../../../src/store/types.js';

/**
 * The real store on a real SQLite file in the test's directory; `reads`: with the heavy-read pool
 * (worker threads) and the stages' read tasks, as `serve` opens it.
 */
export function openTestStore(dir: string, metrics?: Metrics, reads = false): Store {
  return openStore({ path: join(dir, 'earshot.db'), metrics, ...(reads ? { reads: { workers: 1, stageTasks: [RULE_READS, ALARM_READS, REPORT_READS] } } : {}) });
}

/**
 * The real alarm stage (no rules, no timers) for ack/resolve, plus `raise`, which writes and emits
 * an alarm the way the stage's lifecycle does, so tests need not drive a rule to get one.
 */
export async function testAlarmService(
  deps: { bus: PipelineBus; store: Store; metrics: Metrics; config: Config; log: Logger },
): Promise<AlarmService & { raise(a: Omit<Alarm, 'state' | 'raisedAt'> & { agentId?: string }): AlarmRow; close(): Promise<void> }> {
  const stage = await createAlarms({ ...deps, rules: [], tickMs: 0, deliveryMs: 0 });
  return {
    ack: (id, user, comment) => stage.ack(id, user, comment),
    resolve: (id, user, comment) => stage.resolve(id, user, comment),
    raise(a) {
      const row = deps.store.insertAlarm({ ...a, state: 'open', raisedAt: Date.now() });
      deps.bus.emit('alarm', row);
      return row;
    },
    close: () => stage.close(),
  };
}
