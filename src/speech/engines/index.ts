// Engine construction from a serialisable spec: the main thread decides, workers build.
import type { AsrEngine } from './engine.js';
import { createPocketsphinxEngine, type PocketsphinxConfig } from './pocketsphinx/index.js';
import type { SherpaSpec } from './sherpa/index.js';

export type EngineSpec = ({ kind: 'pocketsphinx' } & PocketsphinxConfig) | ({ kind: 'sherpa' } & SherpaSpec);

export async function createEngine(spec: EngineSpec): Promise<AsrEngine> {
  if (spec.kind === 'pocketsphinx') return createPocketsphinxEngine(spec);
  // Loaded on demand: pocketsphinx-only sites never map the onnxruntime inside sherpa-onnx.
  const { createSherpaEngine } = await import('./sherpa/index.js');
  return createSherpaEngine(spec);
}
