// Which engine the workers build: the configured one when its model is usable, otherwise
// pocketsphinx, with the reason kept for ready(). A sherpa model is validated on disk and then
// loaded once in a child process (a corrupt ONNX file aborts the process that loads it).
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { EngineSpec } from './engines/index.js';
import { probeSherpa } from './engines/sherpa/probe.js';
import { findManifest, validateModelDir } from './models/manifest.js';

export interface EngineChoice {
  spec: EngineSpec;
  /** Built when `spec` fails to load in a worker. */
  fallback?: EngineSpec;
  /** Why the configured engine was not chosen, '' when it was. */
  note: string;
  /** The error code behind `note` (one of the EARSHOT_ERR_MODEL_MISSING, _CORRUPT, _LOAD, _UNSET codes), when there is one. */
  code?: string;
}

export async function resolveEngine(config: Config, opts: { manifestsDir?: string } = {}): Promise<EngineChoice> {
  const ps: EngineSpec = { kind: 'pocketsphinx', ...config.speech.pocketsphinx };
  if (config.speech.engine !== 'sherpa') return { spec: ps, note: '' };
  const name = config.speech.sherpa.model;
  const fallback = (code: string, why: string): EngineChoice => ({ spec: ps, code, note: `sherpa model unusable (${code}: ${why}); fell back to pocketsphinx` });
  if (!name) return fallback('EARSHOT_ERR_MODEL_UNSET', 'speech.sherpa.model is empty: set it to an installed model name (earshot models list)');
  try {
    const manifest = findManifest(name, opts.manifestsDir);
    const modelDir = join(config.dataDir, 'models', name);
    validateModelDir(modelDir, manifest);
    const sh = config.speech.sherpa;
    const spec: EngineSpec = { kind: 'sherpa', modelDir, manifest, hotwords: sh.hotwords, endpoint: sh.endpoint, provider: sh.provider, numThreads: sh.numThreads };
    const probe = await probeSherpa(spec);
    if (!probe.ok) return fallback('EARSHOT_ERR_MODEL_LOAD', `${modelDir}: ${probe.detail}; reinstall it with earshot models fetch/import`);
    // Not fatal: the other hot-words work. Said in ready() so the operator can fix the list.
    const hot = probe.skippedHotwords?.length ? `hot-words the model cannot spell, skipped: ${probe.skippedHotwords.join('; ')}` : '';
    if (probe.providerFallback) {
      // sherpa-onnx would run on the CPU anyway (and say so on stderr per session): say it once, truthfully.
      return {
        spec: { ...spec, provider: 'cpu' },
        fallback: ps,
        code: 'EARSHOT_ERR_GPU_UNAVAILABLE',
        note: `speech.sherpa.provider ${sh.provider} unusable: ${probe.providerFallback}; sherpa runs on cpu (docs/gpu.md)${hot ? `; ${hot}` : ''}`,
      };
    }
    return { spec, fallback: ps, note: hot };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return fallback(typeof code === 'string' ? code : 'EARSHOT_ERR_MODEL_LOAD', err instanceof Error ? err.message : String(err));
  }
}
