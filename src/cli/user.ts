import { Command, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { configFrom } from './common.js';
import { configOption } from './options.js';
import { openStore } from '../store/index.js';
import { createUser, type UserRole } from '../web/index.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function userCommand(): Command {
  const cmd = new Command('user').description('console accounts');
  cmd
    .command('add <username>')
    .description('create a console user; without --password-stdin a random password is generated and printed once')
    .addOption(configOption())
    .addOption(new Option('--role <role>', 'what the user may do').choices(['viewer', 'supervisor', 'admin']).default('viewer'))
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, opts: { config?: string; role: UserRole; passwordStdin?: boolean }) => {
      const config = configFrom(opts);
      const password = opts.passwordStdin ? await readStdin() : randomBytes(12).toString('base64url');
      const store = openStore({ path: join(config.dataDir, 'earshot.db') });
      try {
        createUser(store.db, { username, role: opts.role, password });
        store.audit('cli', 'user.create', username, opts.role);
      } finally {
        store.close();
      }
      process.stdout.write(`user ${username} (${opts.role}) created${opts.passwordStdin ? '' : `; password: ${password}`}\n`);
    });
  return cmd;
}
