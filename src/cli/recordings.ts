import { Command } from 'commander';
import { configFrom } from './common.js';
import { configOption } from './options.js';
import { keyFilePath, openKeyRing, rotateKey } from '../recordings/index.js';

export function recordingsCommand(): Command {
  const cmd = new Command('recordings').description('encrypted call recordings (privacy.storeAudio)');
  cmd
    .command('rotate-key')
    .description('add a new recording key and make it active; older keys stay in the ring so existing recordings remain playable')
    .addOption(configOption())
    .action((opts: { config?: string }) => {
      const path = keyFilePath(configFrom(opts));
      const id = rotateKey(path);
      // The key id only: key bytes are never printed.
      process.stdout.write(`new active recording key ${id} in ${path} (${openKeyRing(path).ids().length} key(s) kept)\n`);
    });
  cmd
    .command('keys')
    .description('list the key ids in the ring (never the keys)')
    .addOption(configOption())
    .action((opts: { config?: string }) => {
      const ring = openKeyRing(keyFilePath(configFrom(opts)));
      for (const id of ring.ids()) process.stdout.write(`${id}${id === ring.activeId ? ' (active)' : ''}\n`);
    });
  return cmd;
}
