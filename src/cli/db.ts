import { Command } from 'commander';
import { join } from 'node:path';
import { configFrom, progressBar } from './common.js';
import { configOption } from './options.js';
import { backup, openStore } from '../store/index.js';

export function dbCommand(): Command {
  const cmd = new Command('db').description('database maintenance');
  cmd
    .command('migrate')
    .description('apply pending schema migrations (serve does this at start too)')
    .addOption(configOption())
    .action((opts: { config?: string }) => {
      const config = configFrom(opts);
      const store = openStore({ path: join(config.dataDir, 'earshot.db') });
      const v = store.schemaVersion();
      store.close();
      process.stdout.write(`database at schema version ${String(v)}\n`);
    });
  cmd
    .command('backup <dest>')
    .description("online backup with SQLite's backup API; safe while serve is running")
    .addOption(configOption())
    .action(async (dest: string, opts: { config?: string }) => {
      const config = configFrom(opts);
      const store = openStore({ path: join(config.dataDir, 'earshot.db') });
      const bar = progressBar('backup', 'pages');
      try {
        await backup(store, dest, (done, total) => bar.update(done, total));
      } finally {
        bar.stop();
        store.close();
      }
      process.stdout.write(`backup written to ${dest}\n`);
    });
  return cmd;
}
