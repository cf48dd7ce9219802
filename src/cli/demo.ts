import { Command } from 'commander';
import { join } from 'node:path';
import { configFrom } from './common.js';
import { configOption } from './options.js';
import { backfillDemo, purgeDemo } from '../care/index.js';
import { createLogger } from '../log.js';
import { createMetrics } from '../metrics/registry.js';
import { openStore } from '../store/index.js';

/** `earshot demo backfill|purge`: the demo's month of history, written once and removable in one go. */
export function demoCommand(): Command {
  const cmd = new Command('demo').description("the demo's back-filled history (serve --demo writes it at first start)");
  cmd
    .command('purge')
    .description('delete every row the demo back-fill wrote (calls, transcripts, surveys, alarms, cases) and recompute their rollups')
    .addOption(configOption())
    .action((opts: { config?: string }) => {
      const config = configFrom(opts);
      const store = openStore({ path: join(config.dataDir, 'earshot.db') });
      try {
        const removed = purgeDemo(store, config);
        store.audit('system', 'demo.purge', undefined, JSON.stringify(removed));
        process.stdout.write(`demo history removed: ${Object.entries(removed).map(([k, v]) => `${v} ${k}`).join(', ') || 'nothing to remove'}\n`);
      } finally {
        store.close();
      }
    });
  cmd
    .command('backfill')
    .description('write the demo history now (once; a database that has it already is left alone)')
    .addOption(configOption())
    .option('--days <n>', 'days of history', (v) => Number(v), 30)
    .action((opts: { config?: string; days: number }) => {
      const config = configFrom(opts);
      const log = createLogger('warn');
      const store = openStore({ path: join(config.dataDir, 'earshot.db') });
      try {
        const r = backfillDemo({ store, config, log, metrics: createMetrics() }, { days: opts.days });
        process.stdout.write(r.skipped ? 'demo history already present (earshot demo purge removes it)\n' : `demo history written: ${r.calls} calls, ${r.surveys} surveys, ${r.alarms} alarms, ${r.cases} cases\n`);
      } finally {
        store.close();
      }
    });
  return cmd;
}
