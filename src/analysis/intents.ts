// Call-level intents from the evidence gathered during the call: rule hits that declare an
// intent (config/rules/intents.yaml and the packs) plus the customer's emotion trajectory.
import type { EmotionTrajectory } from './emotion/index.js';
import type { Intent, Rule } from './rules/index.js';

export interface IntentResult {
  intent: Intent;
  /** 1 − 0.5^evidence: one hit is a coin toss, three are fairly sure. */
  confidence: number;
  evidence: number;
  /** Rule ids (and "emotion") that gave evidence. */
  sources: string[];
}

/** Customer utterances needed before emotion alone counts as a complaint or praise. */
export const EMOTION_EVIDENCE_MIN = 2;

export function computeIntents(ruleHits: Record<string, number>, rules: Rule[], emotion: EmotionTrajectory): IntentResult[] {
  const acc = new Map<Intent, { evidence: number; sources: string[] }>();
  const add = (intent: Intent, n: number, source: string) => {
    const a = acc.get(intent) ?? { evidence: 0, sources: [] };
    a.evidence += n;
    a.sources.push(source);
    acc.set(intent, a);
  };
  for (const r of rules) {
    const n = ruleHits[r.id];
    if (r.intent && n) add(r.intent, n, r.id);
  }
  if (emotion.subject === 'customer') {
    const negative = emotion.counts.angry + emotion.counts.frustrated;
    if (negative >= EMOTION_EVIDENCE_MIN) add('complaint', negative - 1, 'emotion');
    if (emotion.counts.satisfied >= EMOTION_EVIDENCE_MIN && emotion.end === 'satisfied') add('praise', emotion.counts.satisfied - 1, 'emotion');
  }
  return [...acc.entries()]
    .map(([intent, a]) => ({ intent, evidence: a.evidence, sources: a.sources, confidence: Math.round((1 - 0.5 ** a.evidence) * 100) / 100 }))
    .sort((x, y) => y.confidence - x.confidence || x.intent.localeCompare(y.intent));
}
