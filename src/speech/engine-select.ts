// Which engine the workers build: the configured one when its model is usable, otherwise
// pocketsphinx, with the reason kept for ready(). A sherpa model is validated on disk and then
// loaded once in a child process (a corrupt ONNX file aborts the process that loads it).
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { EngineSpec } from './engines/index.js';
import type { SherpaSpec } from './engines/sherpa/index.js';
import { probeSherpa } from './engines/sherpa/probe.js';
import { findManifest, validateModelDir } from './models/manifest.js';

export interface EngineChoice {
  spec: EngineSpec;
  /** Built when `spec` fails to load in a worker. */
  fallback?: EngineSpec;
  /** Why the configured engine was not chosen, '' when it was. */
  note: string;
}

export async function resolveEngine(config: Config, opts: { manifestsDir?: string } = {}): Promise<EngineChoice> {
  const ps: EngineSpec = { kind: 'pocketsphinx', ...config.speech.pocketsphinx };
  if (config.speech.engine !== 'sherpa') return { spec: ps, note: '' };
  const name = config.speech.sherpa.model;
  const fallback = (why: string): EngineChoice => ({ spec: ps, note: `sherpa model unusable (${why}); fell back to pocketsphinx` });
  if (!name) return fallback('speech.sherpa.model is empty: set it to an installed model name (earshot models list)');
  try {
    const manifest = findManifest(name, opts.manifestsDir);
    const modelDir = join(config.dataDir, 'models', name);
    validateModelDir(modelDir, manifest);
    // speech.sherpa.endpoint is read when the schema has it (requested); sherpa defaults otherwise.
    const endpoint = (config.speech.sherpa as { endpoint?: SherpaSpec['endpoint'] }).endpoint;
    const spec: EngineSpec = { kind: 'sherpa', modelDir, manifest, hotwords: config.speech.sherpa.hotwords, endpoint };
    const probe = await probeSherpa(spec);
    if (!probe.ok) return fallback(`${modelDir}: ${probe.detail}; reinstall it with earshot models fetch/import`);
    return { spec, fallback: ps, note: '' };
  } catch (err) {
    return fallback(err instanceof Error ? err.message : String(err));
  }
}
