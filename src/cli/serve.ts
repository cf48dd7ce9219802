import { Command } from 'commander';
import { configFrom } from './common.js';
import { configOption } from './options.js';
import { randomBytes } from 'node:crypto';
import { startAppliance } from '../main.js';
import { createUser } from '../web/index.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the appliance: SIPREC/fork ingest, live analysis, console, API and metrics')
    .addOption(configOption())
    .option('--demo', 'loop the bundled demo call through the pipeline so the console is alive')
    .action(async (opts: { config?: string; demo?: boolean }) => {
      const config = configFrom(opts);
      const appliance = await startAppliance(config, { demo: opts.demo });
      const { store } = appliance.pipeline;
      if (opts.demo && store.repos.users.count() === 0) {
        // A demo needs a way in; production sites create their first admin with `earshot user add`.
        const password = randomBytes(9).toString('base64url');
        createUser(store.db, { username: 'admin', role: 'admin', password });
        appliance.pipeline.store.audit('system', 'user.create', 'admin', 'demo first start');
        process.stderr.write(`earshot: first start: created user "admin" with password ${password} (shown once)\n`);
      }
      process.stderr.write(`earshot: console at ${appliance.url.replace('0.0.0.0', '127.0.0.1')}/\n`);
      // Closed by default: say so where the operator looks first (also in the log, /readyz, the console).
      for (const s of Object.values(appliance.ingest())) if (s.state !== 'open' && s.state !== 'off') process.stderr.write(`earshot: ${s.state}: ${s.detail}${s.how ? ` (${s.how})` : ''}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        appliance.pipeline.log.info({ signal }, 'signal received');
        // A stuck shutdown must not hang systemd forever.
        const timer = setTimeout(() => process.exit(1), 30_000);
        timer.unref();
        appliance.close().then(
          () => process.exit(0),
          (err: unknown) => {
            appliance.pipeline.log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
