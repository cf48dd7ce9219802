export { loadRules, buildRuleSet, RulesError, type LoadResult, type RuleSource } from './load.js';
export { collectConcepts, parseRuleSource, type ParseResult } from './parse.js';
export type { Concepts } from './concepts.js';
export { CallRules, endOfCall, type EvidenceRef, type Hit, type UtteranceFacts } from './evaluate.js';
export { compilePhrases, findPhrases, normaliseText } from './phrases.js';
export { INTENTS, type Cond, type Intent, type Names, type Rule, type RuleSet, type Speaker } from './types.js';
export { scoreCall, type QaResult, type QaItemResult } from './scorecard.js';
export type { QaCheck, QaItem, Scorecard } from './types.js';
