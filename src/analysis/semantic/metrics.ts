// Metrics of the semantic layer. Labels are bounded enums (reason, state), never text.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Metrics } from '../../metrics/registry.js';

export interface SemanticMetrics {
  requests: Counter<string>;
  failures: Counter<'reason'>;
  breaker: Gauge<string>;
  fallbacks: Counter<'reason'>;
  seconds: Histogram<string>;
  cacheHits: Counter<string>;
  cacheMisses: Counter<string>;
  restarts: Counter<string>;
  secondOpinion: Counter<'direction'>;
  headDecisions: Counter<'kind' | 'label'>;
}

function get<T>(reg: Registry, name: string, make: () => T): T {
  return (reg.getSingleMetric(name) as T | undefined) ?? make();
}

export function semanticMetrics(m: Metrics): SemanticMetrics {
  const reg = m.registry;
  const registers = [reg];
  return {
    requests: get(reg, 'earshot_semantic_requests_total', () => new Counter({ name: 'earshot_semantic_requests_total', help: 'HTTP requests sent to the embeddings server (one per batch)', registers })),
    failures: get(reg, 'earshot_semantic_failures_total', () => new Counter({ name: 'earshot_semantic_failures_total', help: 'Embedding requests that failed, by reason (timeout, http, network, bad-response, breaker-open, not-ready)', labelNames: ['reason'] as const, registers })),
    breaker: get(reg, 'earshot_semantic_breaker_state', () => new Gauge({ name: 'earshot_semantic_breaker_state', help: 'Embeddings circuit breaker: 0 closed, 1 half-open, 2 open', registers })),
    fallbacks: get(reg, 'earshot_semantic_fallbacks_total', () => new Counter({ name: 'earshot_semantic_fallbacks_total', help: 'Utterances analysed with rules only because no embedding came within analysis.semantic.budgetMs, by reason', labelNames: ['reason'] as const, registers })),
    seconds: get(reg, 'earshot_semantic_request_seconds', () => new Histogram({ name: 'earshot_semantic_request_seconds', help: 'Latency of one embeddings request (a batch)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers })),
    cacheHits: get(reg, 'earshot_semantic_cache_hits_total', () => new Counter({ name: 'earshot_semantic_cache_hits_total', help: 'Texts whose embedding came from the cache', registers })),
    cacheMisses: get(reg, 'earshot_semantic_cache_misses_total', () => new Counter({ name: 'earshot_semantic_cache_misses_total', help: 'Texts sent to the embeddings server', registers })),
    restarts: get(reg, 'earshot_semantic_embedded_restarts_total', () => new Counter({ name: 'earshot_semantic_embedded_restarts_total', help: 'Restarts of the embedded embeddings server after it exited', registers })),
    secondOpinion: get(reg, 'earshot_semantic_sentiment_adjusted_total', () => new Counter({ name: 'earshot_semantic_sentiment_adjusted_total', help: 'Utterances whose unsure lexicon sentiment was moved by the nearest labelled prototypes, by direction', labelNames: ['direction'] as const, registers })),
    headDecisions: get(reg, 'earshot_semantic_head_decisions_total', () => new Counter({ name: 'earshot_semantic_head_decisions_total', help: 'Decisions of the learned semantic head that changed what the rules said: kind polarity|emotion|category, label the polarity, emotion or category it set', labelNames: ['kind', 'label'] as const, registers })),
  };
}

export const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
