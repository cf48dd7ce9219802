// The analysis stage's own metrics. Labels: language, redaction type, rule id (operator-defined,
// bounded by the rule files), never anything from a transcript.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Metrics } from '../metrics/registry.js';

export interface AnalysisMetrics {
  utterances: Counter<'lang'>;
  redactions: Counter<'type'>;
  categories: Counter<'rule'>;
  seconds: Histogram<string>;
  rules: Gauge<string>;
  errors: Counter<string>;
  ser: Gauge<'provider'>;
}

/** Reuses metrics already on the registry, so a stage rebuilt in the same process does not throw. */
function get<T>(reg: Registry, name: string, make: () => T): T {
  return (reg.getSingleMetric(name) as T | undefined) ?? make();
}

export function analysisMetrics(m: Metrics): AnalysisMetrics {
  const registers = [m.registry];
  const reg = m.registry;
  return {
    utterances: get(reg, 'earshot_analysis_utterances_total', () => new Counter({ name: 'earshot_analysis_utterances_total', help: 'Final utterances analysed, by detected language', labelNames: ['lang'] as const, registers })),
    redactions: get(reg, 'earshot_analysis_redactions_total', () => new Counter({ name: 'earshot_analysis_redactions_total', help: 'Redaction tokens put into transcripts, by type', labelNames: ['type'] as const, registers })),
    categories: get(reg, 'earshot_analysis_category_hits_total', () => new Counter({ name: 'earshot_analysis_category_hits_total', help: 'Category rule hits, by rule id', labelNames: ['rule'] as const, registers })),
    seconds: get(reg, 'earshot_analysis_seconds', () => new Histogram({ name: 'earshot_analysis_seconds', help: 'Time to analyse one final utterance', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1], registers })),
    rules: get(reg, 'earshot_analysis_rules', () => new Gauge({ name: 'earshot_analysis_rules', help: 'Category rules in the running set', registers })),
    ser: get(reg, 'earshot_analysis_ser', () => new Gauge({ name: 'earshot_analysis_ser', help: 'Speech-emotion model in use (1) by the execution provider it runs on', labelNames: ['provider'] as const, registers })),
    errors: get(reg, 'earshot_analysis_errors_total', () => new Counter({ name: 'earshot_analysis_errors_total', help: 'Utterances whose analysis failed (the utterance is dropped, never passed on unredacted)', registers })),
  };
}
