import { Command } from 'commander';
import type { Logger } from 'pino';
import { configFrom } from './common.js';
import { configOption } from './options.js';
import { randomBytes } from 'node:crypto';
import { startNode } from '../main.js';
import { parseRoles } from '../cluster/index.js';
import { createUser } from '../web/index.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the appliance: SIPREC/fork ingest, live analysis, console, API and metrics')
    .addOption(configOption())
    .option('--demo', 'loop the bundled demo call through the pipeline so the console is alive')
    .option('--role <roles>', 'all | ingest | speech | core, several comma-separated (split roles need cluster.nats, docs/cluster.md)', 'all')
    .action(async (opts: { config?: string; demo?: boolean; role?: string }) => {
      const config = configFrom(opts);
      const roles = parseRoles(opts.role);
      const node = await startNode(config, { roles, demo: opts.demo });
      const appliance = node.appliance;
      if (!appliance) {
        process.stderr.write(`earshot: ${node.roles.join(',')} node running${node.sip ? ` (SIP on UDP ${node.sip.udp})` : ''}\n`);
        onSignals(node.log, () => node.close());
        return;
      }
      const { store } = appliance.pipeline;
      if (opts.demo && store.repos.users.count() === 0) {
        // A demo needs a way in; production sites create their first admin with `earshot user add`.
        const password = randomBytes(9).toString('base64url');
        createUser(store.repos.users, { username: 'admin', role: 'admin', password });
        appliance.pipeline.store.audit('system', 'user.create', 'admin', 'demo first start');
        process.stderr.write(`earshot: first start: created user "admin" with password ${password} (shown once)\n`);
      }
      process.stderr.write(`earshot: console at ${appliance.url.replace('0.0.0.0', '127.0.0.1')}/\n`);
      // Closed by default: say so where the operator looks first (also in the log, /readyz, the console).
      for (const s of Object.values(appliance.ingest())) if (s.state !== 'open' && s.state !== 'off') process.stderr.write(`earshot: ${s.state}: ${s.detail}${s.how ? ` (${s.how})` : ''}\n`);
      onSignals(appliance.pipeline.log, () => node.close());
    });
}

function onSignals(log: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'signal received');
    // A stuck shutdown must not hang systemd forever.
    const timer = setTimeout(() => process.exit(1), 30_000);
    timer.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
