// The compiled form of category rules. The YAML form is documented in docs/analysis.md.
import type { EmotionLabel, Severity } from '../../call/types.js';
import type { RedactionType } from '../redact/patterns.js';
import type { PhraseSet } from './phrases.js';

export type Speaker = 'customer' | 'agent' | 'any';
export const INTENTS = ['complaint', 'inquiry', 'suggestion', 'praise', 'churn-risk'] as const;
export type Intent = (typeof INTENTS)[number];

export type Cond =
  | { kind: 'all'; of: Cond[] }
  | { kind: 'any'; of: Cond[] }
  | { kind: 'not'; of: Cond }
  | { kind: 'phrases'; set: PhraseSet }
  | { kind: 'regex'; res: RegExp[] }
  | { kind: 'near'; a: PhraseSet; b: PhraseSet; words: number }
  | { kind: 'emotion'; labels: EmotionLabel[] }
  | { kind: 'sentiment'; gte?: number; lte?: number }
  | { kind: 'redacted'; types: RedactionType[] }
  | { kind: 'hit'; rule: string }
  | SimilarCond;

/**
 * "Says something like these examples": cosine to the nearest example >= threshold (semantic
 * layer). Chinese sentences sit closer together in e5's space than English ones, hence a
 * threshold per language where given.
 */
export interface SimilarCond {
  kind: 'similar';
  examples: string[];
  threshold: number;
  thresholds?: { en?: number; zh?: number };
}

/** A display name per console language. */
export type Names = { en?: string; zh?: string };

export interface Rule {
  id: string;
  /** The display name (English, or the only one given). */
  name?: string;
  /** Set when the pack gives a name per language (`name: {en: ..., zh: ...}`). */
  names?: Names;
  severity?: Severity;
  /** Call-level intent this rule is evidence of. */
  intent?: Intent;
  speaker: Speaker;
  /** Seconds from the start (first) or before the end (last) of the call. */
  window?: { first?: number; last?: number };
  when: Cond;
  /** Hit once, when this many utterances of the call have matched. */
  count?: { gte: number };
  /** Hit at the end of the call if no utterance matched (e.g. "disclosure missing"). */
  absent: boolean;
  /** Hit at most once per call. */
  once: boolean;
  /** file:line of the rule, for messages. */
  source: string;
}

/** One QA check, settled at call end. */
export type QaCheck = { hit: string } | { noHit: string } | { end: EmotionLabel[] };

export interface QaItem {
  id: string;
  label: string;
  weight: number;
  pass: QaCheck;
  /** The item counts only when this holds (e.g. "apologised" only if there was a complaint). */
  applies?: QaCheck;
  /** Needs a spoken call (a recording disclosure): not applicable, never failed, on typed channels. */
  audio?: boolean;
}

export interface Scorecard {
  id: string;
  name?: string;
  items: QaItem[];
  source: string;
}

/** A validated, dependency-ordered set of rules: what the evaluator runs. */
export interface RuleSet {
  rules: Rule[];
  scorecards: Scorecard[];
  /** Where each rule came from, for the API's listing. */
  files: string[];
}
