import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { sha256 } from '../ingest/fork/keys.js';

/**
 * `earshot ingest key NAME`: a new random fork API key, printed once, with the forks.apiKeys entry
 * that holds only its SHA-256 (the configuration then carries no secret). Nothing is stored: the
 * operator gives the key to the PBX/SBC and pastes the entry into the configuration.
 */
export function ingestCommand(): Command {
  const cmd = new Command('ingest').description('ingest credentials');
  cmd
    .command('key')
    .description('print a new fork API key (shown once) and the forks.apiKeys entry with its SHA-256')
    .argument('<name>', "the source's name (becomes the calls' source), e.g. sbc-1")
    .option('--protocols <list>', 'comma-separated: audio-fork,jambonz,audiohook,ari,messages (the live conversations API)', 'audio-fork,jambonz,audiohook,ari')
    .action((name: string, opts: { protocols: string }) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw Object.assign(new Error('name: letters, digits, ".", "_" or "-", at most 64'), { code: 'EARSHOT_ERR_CONFIG' });
      const protocols = opts.protocols.split(',').map((p) => p.trim()).filter(Boolean);
      const known = ['audio-fork', 'jambonz', 'audiohook', 'ari', 'messages'];
      const unknown = protocols.filter((p) => !known.includes(p));
      if (unknown.length || protocols.length === 0) throw Object.assign(new Error(`--protocols: unknown ${unknown.join(', ') || '(none given)'}; known: ${known.join(', ')}`), { code: 'EARSHOT_ERR_CONFIG' });
      const key = randomBytes(24).toString('base64url');
      process.stdout.write(
        `key for ${name} (shown once; give it to the source as "Authorization: Bearer <key>", X-API-KEY, or the Basic password):\n  ${key}\n\n` +
          `add to forks.apiKeys in the configuration:\n  - name: ${name}\n    keySha256: ${sha256(key).toString('hex')}\n    protocols: [${protocols.join(', ')}]\n`,
      );
    });
  return cmd;
}
