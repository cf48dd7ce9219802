// The one interface of the semantic layer: texts in, L2-normalised vectors out (cosine = dot).
import { EarshotError } from '../../errors.js';

export interface Embedder {
  /** One vector per text, in order, each of unit length. Rejects with a SemanticError. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** What /readyz shows: `off` (not configured), `starting`, `ok`, `degraded` (breaker open, server down). */
export type SemanticState = 'off' | 'starting' | 'ok' | 'degraded';

/** Why an embedding was not had; bounded label values for the failure metric. */
export type FailReason = 'timeout' | 'http' | 'network' | 'bad-response' | 'breaker-open' | 'not-ready' | 'closed';

export class SemanticError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_SEMANTIC';
  constructor(
    readonly reason: FailReason,
    detail: string,
  ) {
    super('EARSHOT_ERR_SEMANTIC', undefined, { message: `embeddings ${reason}: ${detail}` });
    this.name = 'SemanticError';
  }
}

export function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0 && Math.abs(n - 1) > 1e-6) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/** Cosine of two unit vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}
