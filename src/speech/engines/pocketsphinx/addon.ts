// Loads the N-API addon built by `npm run build:native`. The .node file stays in the source tree
// (src/speech/engines/pocketsphinx/native/build/Release), so the loader finds it by walking up to
// the repo root: the same code works from src/ (tap, ts) and from dist/src/ (built).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../engine.js';

export interface PsWord {
  w: string;
  sf: number;
  ef: number;
}

export interface PsDecoder {
  start(): void;
  process(pcm: Int16Array, fullUtt?: boolean): number;
  hyp(): string;
  end(): { text: string; words: PsWord[] };
  free(): void;
}

interface Addon {
  Decoder: new (opts: { hmm: string; lm: string; dict: string; sampleRate?: number; args?: string[] }) => PsDecoder;
}

const REL = 'src/speech/engines/pocketsphinx/native/build/Release/earshot_pocketsphinx.node';

export function addonPath(): string {
  if (process.env.EARSHOT_POCKETSPHINX_ADDON) return process.env.EARSHOT_POCKETSPHINX_ADDON;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src/speech'))) return join(dir, REL);
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), 'native/build/Release/earshot_pocketsphinx.node');
}

let cached: Addon | undefined;

export function loadAddon(): Addon {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    throw new EngineError(
      'EARSHOT_ERR_ASR_ADDON',
      `pocketsphinx addon not found at ${path}: run \`npm run build:native\` (needs libpocketsphinx-dev, pkg-config, g++)`,
    );
  }
  cached = createRequire(import.meta.url)(path) as Addon;
  return cached;
}
