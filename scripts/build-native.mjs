#!/usr/bin/env node
// Builds the pocketsphinx N-API addon with node-gyp, offline: headers come from the Debian
// nodejs-dev tree (/usr/include/node) when present, so no header download is attempted.
// Output: src/speech/engines/pocketsphinx/native/build/Release/earshot_pocketsphinx.node, which the
// loader finds from both src/ and dist/src/ (it resolves the repo root, not its own folder).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addonDir = join(root, 'src/speech/engines/pocketsphinx/native');

function nodeGyp() {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // npm bundles node-gyp; find it next to the npm that runs us or on the usual global path.
    const candidates = [
      process.env.npm_execpath && join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
      '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
      '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ].filter(Boolean);
    const found = candidates.find((p) => existsSync(p));
    if (!found) throw new Error('node-gyp not found: install it (npm i -g node-gyp) or use an npm that bundles it');
    return found;
  }
}

const args = [nodeGyp(), 'rebuild', '--directory', addonDir];
if (existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('build-native: node-gyp failed; needs libpocketsphinx-dev, pkg-config, make, g++, python3');
  process.exit(r.status ?? 1);
}
console.log('build-native: built', join(addonDir, 'build/Release/earshot_pocketsphinx.node'));
