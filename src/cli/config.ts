import { Command } from 'commander';
import { configFrom } from './common.js';
import { configOption } from './options.js';
import { resolveIngestKeys } from '../ingest/fork/keys.js';

export function configCommand(): Command {
  const cmd = new Command('config').description('configuration tools');
  cmd
    .command('check')
    .description('validate a configuration file and the environment overrides; print the effective settings')
    .addOption(configOption())
    .option('--print', 'print the effective configuration as JSON')
    .action((opts: { config?: string; print?: boolean }) => {
      const config = configFrom(opts);
      resolveIngestKeys(config); // key files and variables exist and hold keys long enough
      if (opts.print) {
        // Secrets are shown masked: this output ends up in tickets.
        const masked = JSON.parse(JSON.stringify(config), (k, v: unknown) => (/secret|key$/i.test(k) && typeof v === 'string' && v ? '***' : v));
        process.stdout.write(JSON.stringify(masked, null, 2) + '\n');
      }
      process.stdout.write(`configuration ok${opts.config ? ` (${opts.config})` : ' (defaults + environment)'}\n`);
    });
  return cmd;
}
