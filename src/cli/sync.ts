import { Command } from 'commander';
import { join } from 'node:path';
import { configFrom } from './common.js';
import { configOption } from './options.js';
import { openStore } from '../store/index.js';
import { createCollector, periodAt, secretLookup, syncPreview } from '../sync/index.js';
import { createLogger } from '../log.js';

export function syncCommand(): Command {
  const cmd = new Command('sync').description('upstream aggregates (anonymised; never text, ids, numbers or names)');
  cmd
    .command('preview')
    .description('print exactly what would be (or was) sent upstream for one period')
    .addOption(configOption())
    .option('--period <when>', 'an ISO date-time or epoch ms inside the period (default: the last complete period)')
    .action((opts: { config?: string; period?: string }) => {
      const config = configFrom(opts);
      const len = config.sync.intervalSeconds * 1000;
      const period = periodAt(opts.period ?? Date.now() - len, config.sync.intervalSeconds);
      const store = openStore({ path: join(config.dataDir, 'earshot.db') });
      try {
        const p = syncPreview(store.repos, config, period);
        process.stdout.write(`POST ${p.url || '(sync.url not set)'}  [${p.source}]\n`);
        for (const [k, v] of Object.entries(p.headers)) process.stdout.write(`${k}: ${v}\n`);
        process.stdout.write('\n' + JSON.stringify(p.batch, null, 2) + '\n');
      } finally {
        store.close();
      }
    });
  return cmd;
}

export function collectorCommand(): Command {
  return new Command('collector')
    .description('reference head-office collector: verifies signed aggregate batches and stores each once')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'listen port', '9400')
    .option('--db <file>', 'collector SQLite file', './collector.db')
    .option('--secret <spec...>', 'site-id=secret, or a bare secret for every site')
    .action(async (opts: { host: string; port: string; db: string; secret?: string[] }) => {
      const log = createLogger('info');
      const app = createCollector({ dbPath: opts.db, log, secret: secretLookup(opts.secret ?? []) });
      const url = await app.listen({ host: opts.host, port: Number(opts.port) });
      log.info({ url }, 'collector listening');
      const stop = () => void app.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}
