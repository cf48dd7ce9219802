import type { Logger } from 'pino';
import type { PipelineBus } from './call/events.js';
import type { CallRegistry } from './call/registry.js';
import type { Config } from './config/schema.js';
import type { Metrics } from './metrics/registry.js';
import type { Store } from './store/types.js';

/** What every stage factory may receive. Pass only what a stage uses; no global bag. */
export interface Deps {
  config: Config;
  log: Logger;
  bus: PipelineBus;
  calls: CallRegistry;
  metrics: Metrics;
  store: Store;
}
