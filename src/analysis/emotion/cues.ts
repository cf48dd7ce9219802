// The categories an utterance hits, as evidence for its emotion. Category rules may themselves
// test the emotion (complaint: "very negative and agitated"), so emotion cannot wait for the real
// evaluation: the few rules fusion cares about are tried first, alone and without call state
// (what the utterance itself says, not "hit once per call"), on a label from words and voice only.
import { CallRules, endOfCall, type RuleSet, type UtteranceFacts } from '../rules/index.js';
import { CUE_CATEGORIES } from './fusion.js';

export class CategoryCues {
  readonly #set: RuleSet;

  constructor(set: RuleSet) {
    const ids = new Set(CUE_CATEGORIES);
    this.#set = { ...set, rules: set.rules.filter((r) => ids.has(r.id) && !endOfCall(r)) };
  }

  /** Ids of the cue categories this utterance matches on its own. */
  of(f: UtteranceFacts): string[] {
    if (!this.#set.rules.length) return [];
    return new CallRules(this.#set).onUtterance(f).map((h) => h.rule.id);
  }
}
