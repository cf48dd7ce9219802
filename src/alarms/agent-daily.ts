import type { AlarmsRepo } from '../store/repos/alarms.js';
import { globMatch, type AlarmRule, type RuleOf } from './rules.js';

const DAY = 86_400_000;

/** What one finished call tells the agent-level rules. */
export interface CallFacts {
  agentId: string;
  categories: string[];
  /** Customer started at or above neutral (first three utterances) and ended negative (last three). */
  negativeSwing: boolean;
}

interface Day {
  calls: number;
  swings: number;
  /** rule id -> calls that hit the rule's category */
  hits: Map<string, number>;
}

export interface AgentTrigger {
  rule: RuleOf<'agent-daily'>;
  agentId: string;
  message: string;
}

/**
 * Agent-level daily thresholds (UTC days). Counts live in memory and are rebuilt from today's
 * finished calls (calls.summary.kpi) at start, so a restart does not reset an agent's day.
 */
export class AgentDaily {
  #day = -1;
  readonly #agents = new Map<string, Day>();

  constructor(private rules: RuleOf<'agent-daily'>[]) {}

  setRules(rules: AlarmRule[]): void {
    this.rules = rules.filter((r): r is RuleOf<'agent-daily'> => r.kind === 'agent-daily');
  }

  #roll(now: number): void {
    const day = Math.floor(now / DAY);
    if (day !== this.#day) {
      this.#day = day;
      this.#agents.clear();
    }
  }

  /** Counts a finished call; returns the rules whose threshold the agent's day now crosses. */
  add(f: CallFacts, now: number): AgentTrigger[] {
    this.#roll(now);
    const d = this.#count(f);
    const out: AgentTrigger[] = [];
    for (const r of this.rules) {
      if (r.metric === 'negative-swings' && f.negativeSwing && d.swings >= (r.atLeast ?? Infinity)) {
        out.push({ rule: r, agentId: f.agentId, message: `Agent had ${d.swings} calls today where the customer turned negative` });
      } else if (r.metric === 'category-share' && d.calls >= r.minCalls) {
        const share = (d.hits.get(r.id) ?? 0) / d.calls;
        if (share > (r.above ?? 1)) out.push({ rule: r, agentId: f.agentId, message: `${Math.round(share * 1000) / 10}% of the agent's calls today hit ${[r.category].flat().join(', ')}` });
      }
    }
    return out;
  }

  #count(f: CallFacts): Day {
    let d = this.#agents.get(f.agentId);
    if (!d) this.#agents.set(f.agentId, (d = { calls: 0, swings: 0, hits: new Map() }));
    d.calls++;
    if (f.negativeSwing) d.swings++;
    for (const r of this.rules) {
      if (r.category && f.categories.some((c) => globMatch(r.category as string | string[], c))) d.hits.set(r.id, (d.hits.get(r.id) ?? 0) + 1);
    }
    return d;
  }

  /** Replays today's finished calls from the database (their KPI summaries). */
  rebuild(repo: Pick<AlarmsRepo, 'agentCallsSince'>, now: number): number {
    this.#roll(now);
    this.#agents.clear();
    const rows = repo.agentCallsSince(this.#day * DAY);
    for (const r of rows) {
      let cats: string[] = [];
      try {
        cats = Object.keys(JSON.parse(r.cats ?? '{}') as object);
      } catch {
        cats = [];
      }
      this.#count({ agentId: r.agent_id, categories: cats, negativeSwing: r.swing === 1 });
    }
    return rows.length;
  }
}

/** Same definition as the KPI's sentiment.negativeSwing, from the customer's sentiments in order. */
export function negativeSwing(sentiments: number[], negativeBelow = -0.2): boolean {
  if (sentiments.length === 0) return false;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return mean(sentiments.slice(0, 3)) >= 0 && mean(sentiments.slice(-3)) < negativeBelow;
}
