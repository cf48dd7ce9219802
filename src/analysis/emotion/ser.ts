// Optional speech-emotion model slot (config analysis.serModel). The model sees the same evidence
// as the rule-based fusion — prosody, rate, baseline arousal and text sentiment — and replaces
// the fusion table with a learnt one, so a site can train on its own labelled calls.
//
// Contract: one float32 input of shape [1, 8] with SER_FEATURES in this order; the first output
// is float32 [1, 4] scores for SER_LABELS (probabilities or logits: softmax is applied unless
// they already sum to 1).
import { createRequire } from 'node:module';
import type { EmotionLabel, Prosody } from '../../call/types.js';
import { EarshotError } from '../../errors.js';

export const SER_FEATURES = ['f0MeanHz', 'f0StdHz', 'rmsDb', 'rmsStdDb', 'voicedRatio', 'rate', 'arousal', 'sentiment'] as const;
export const SER_LABELS: EmotionLabel[] = ['angry', 'frustrated', 'neutral', 'satisfied'];

export interface SerInput {
  prosody: Prosody;
  rate?: number;
  arousal?: number;
  sentiment: number;
}

export interface SerOutput {
  emotion: EmotionLabel;
  confidence: number;
  probs: number[];
}

export interface SerModel {
  classify(x: SerInput): Promise<SerOutput>;
  close(): Promise<void>;
  /** The execution provider the session runs on (cuda falls back to cpu when it cannot load). */
  provider: SerProvider;
  /** Why the requested provider is not the one running (onnxruntime's first line). */
  providerFallback?: string;
}

export type SerProvider = 'cpu' | 'cuda';

export class SerModelError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_MODEL_MISSING';
  constructor(message: string) {
    super('EARSHOT_ERR_MODEL_MISSING', undefined, { message });
    this.name = 'SerModelError';
  }
}

type Ort = typeof import('onnxruntime-node');

/** Loads and checks the model: wrong shapes fail here, with the reason, not on the first call. */
export async function loadSer(path: string, opts: { provider?: SerProvider } = {}): Promise<SerModel> {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node') as Ort;
  const firstLine = (err: unknown) => (err as Error).message.split('\n')[0];
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>> | undefined;
  let provider: SerProvider = 'cpu';
  let providerFallback: string | undefined;
  if (opts.provider === 'cuda') {
    // The npm build ships without CUDA (.npmrc skips its download): a GPU site installs the CUDA
    // provider libraries (docs/gpu.md). Without them the session runs on the CPU and says so.
    try {
      session = await ort.InferenceSession.create(path, { executionProviders: ['cuda'], intraOpNumThreads: 1, interOpNumThreads: 1 });
      provider = 'cuda';
    } catch (err) {
      providerFallback = firstLine(err);
    }
  }
  try {
    session ??= await ort.InferenceSession.create(path, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (err) {
    throw new SerModelError(`speech-emotion model ${path} cannot be loaded: ${firstLine(err)}`);
  }
  const s = session;
  const input = s.inputNames[0];
  const output = s.outputNames[0];
  const classify = async (x: SerInput): Promise<SerOutput> => {
    const p = x.prosody;
    const v = Float32Array.from([p.f0MeanHz, p.f0StdHz, p.rmsDb, p.rmsStdDb, p.voicedRatio, x.rate ?? 0, x.arousal ?? 0, x.sentiment]);
    const res = await s.run({ [input]: new ort.Tensor('float32', v, [1, SER_FEATURES.length]) });
    const scores = Array.from(res[output].data as Float32Array);
    if (scores.length !== SER_LABELS.length || scores.some((s) => !Number.isFinite(s))) {
      throw new SerModelError(`speech-emotion model must output ${SER_LABELS.length} finite scores, got ${scores.length}`);
    }
    const probs = toProbs(scores);
    let best = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
    return { emotion: SER_LABELS[best], confidence: Math.round(probs[best] * 100) / 100, probs };
  };
  try {
    await classify({ prosody: { f0MeanHz: 120, f0StdHz: 15, rmsDb: -30, rmsStdDb: 3, voicedRatio: 0.5 }, sentiment: 0 });
  } catch (err) {
    await s.release();
    throw err instanceof SerModelError ? err : new SerModelError(`speech-emotion model ${path} does not fit the contract (float32 [1, 8] in, [1, 4] out): ${(err as Error).message.split('\n')[0]}`);
  }
  return { classify, close: () => s.release(), provider, providerFallback };
}

function toProbs(s: number[]): number[] {
  const sum = s.reduce((a, b) => a + b, 0);
  if (s.every((x) => x >= 0) && Math.abs(sum - 1) < 1e-3) return s;
  const m = Math.max(...s);
  const e = s.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}
