import { Command, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { configFrom } from './common.js';
import { configOption } from './options.js';
import { openStore } from '../store/index.js';
import { createUser, deleteUser, setPassword, setRole, unlockUser, type UserRole } from '../web/index.js';
import type { Store } from '../store/types.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Opens the configured database for one change and closes it again, whatever happens. */
function withStore<T>(opts: { config?: string }, fn: (store: Store) => T): T {
  const config = configFrom(opts);
  const store = openStore({ path: join(config.dataDir, 'earshot.db') });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const roleOption = () => new Option('--role <role>', 'what the user may do').choices(['viewer', 'supervisor', 'admin']);

export function userCommand(): Command {
  const cmd = new Command('user').description('console accounts');
  cmd
    .command('add <username>')
    .description('create a console user; without --password-stdin a random password is generated and printed once')
    .addOption(configOption())
    .addOption(roleOption().default('viewer'))
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, opts: { config?: string; role: UserRole; passwordStdin?: boolean }) => {
      const config = configFrom(opts);
      const password = opts.passwordStdin ? await readStdin() : randomBytes(12).toString('base64url');
      const store = openStore({ path: join(config.dataDir, 'earshot.db') });
      try {
        createUser(store.repos.users, { username, role: opts.role, password });
        store.audit('cli', 'user.create', username, opts.role);
      } finally {
        store.close();
      }
      process.stdout.write(`user ${username} (${opts.role}) created${opts.passwordStdin ? '' : `; password: ${password}`}\n`);
    });
  cmd
    .command('unlock <username>')
    .description('end a lockout after failed logins (the failure count starts again from 0)')
    .addOption(configOption())
    .action((username: string, opts: { config?: string }) => {
      const was = withStore(opts, (store) => {
        const locked = unlockUser(store.repos.users, username);
        store.audit('cli', 'user.unlock', username, locked ? 'was locked' : 'was not locked');
        return locked;
      });
      process.stdout.write(`user ${username} unlocked${was ? '' : ' (it was not locked)'}\n`);
    });
  cmd
    .command('role <username>')
    .description("change a user's role; their sessions end (live consoles close within a second)")
    .addOption(configOption())
    .addOption(roleOption().makeOptionMandatory())
    .action((username: string, opts: { config?: string; role: UserRole }) => {
      const ended = withStore(opts, (store) => {
        const n = setRole(store.repos.users, username, opts.role);
        store.audit('cli', 'user.role', username, opts.role);
        return n;
      });
      process.stdout.write(`user ${username} is now ${opts.role}; ${ended} session(s) ended\n`);
    });
  cmd
    .command('passwd <username>')
    .description('set a new password (from standard input with --password-stdin, else generated and printed once); sessions end')
    .addOption(configOption())
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, opts: { config?: string; passwordStdin?: boolean }) => {
      const password = opts.passwordStdin ? await readStdin() : randomBytes(12).toString('base64url');
      const ended = withStore(opts, (store) => {
        const n = setPassword(store.repos.users, username, password);
        store.audit('cli', 'user.password', username);
        return n;
      });
      process.stdout.write(`password of ${username} changed${opts.passwordStdin ? '' : `: ${password}`}; ${ended} session(s) ended\n`);
    });
  cmd
    .command('delete <username>')
    .description('remove a user; their sessions end')
    .addOption(configOption())
    .action((username: string, opts: { config?: string }) => {
      withStore(opts, (store) => {
        deleteUser(store.repos.users, username);
        store.audit('cli', 'user.delete', username);
      });
      process.stdout.write(`user ${username} deleted\n`);
    });
  return cmd;
}
