// Call figures summed over a range: whole hours from call_hours (migration 005, kept by triggers on
// call_facts), the partial hours at either end from call_facts itself, so results are exact for any
// range while a month reads a few thousand hour rows instead of every call.
import type Database from 'better-sqlite3';
import { hybrid } from './emotions.js';
import type { Range } from './figures.js';

export interface CallSums {
  /** The hour (epoch ms), the agent id ('' for none) or '' for the whole range. */
  key: string | number;
  calls: number;
  active: number;
  dur_n: number;
  dur_sum: number;
  /** Over calls long enough for KPI means (summary.kpi.short not true). */
  cdur_n: number;
  cdur_sum: number;
  neg_n: number;
  neg_sum: number;
  qa_n: number;
  qa_sum: number;
  alarms: number;
}

const FIELDS = ['calls', 'active', 'dur_n', 'dur_sum', 'cdur_n', 'cdur_sum', 'neg_n', 'neg_sum', 'qa_n', 'qa_sum', 'alarms'] as const;
const HOURS = FIELDS.map((f) => `SUM(${f}) AS ${f}`).join(', ');
const RAW = `COUNT(*) AS calls, SUM(state = 'active') AS active, COUNT(duration_ms) AS dur_n, TOTAL(duration_ms) AS dur_sum,
  SUM(COALESCE(short, 0) = 0 AND duration_ms IS NOT NULL) AS cdur_n, TOTAL(CASE WHEN COALESCE(short, 0) = 0 THEN duration_ms END) AS cdur_sum,
  SUM(COALESCE(short, 0) = 0 AND neg_end IS NOT NULL) AS neg_n, TOTAL(CASE WHEN COALESCE(short, 0) = 0 THEN neg_end END) AS neg_sum,
  COUNT(qa) AS qa_n, TOTAL(qa) AS qa_sum, TOTAL(alarms) AS alarms`;
const KEYS = {
  all: { hours: "''", raw: "''" },
  hour: { hours: 'hour', raw: '(started_at / 3600000) * 3600000' },
  agent: { hours: 'agent_id', raw: "COALESCE(agent_id, '')" },
};

/** Sums of the calls started in the range, by hour, by agent, or in one row ('all'; none when no calls). */
export function callSums(db: Database.Database, r: Range, by: keyof typeof KEYS): CallSums[] {
  const rows = hybrid<CallSums>(
    db,
    r,
    `SELECT ${KEYS[by].hours} AS key, ${HOURS} FROM call_hours WHERE hour >= @from AND hour < @to GROUP BY 1`,
    `SELECT ${KEYS[by].raw} AS key, ${RAW} FROM call_facts WHERE started_at >= @from AND started_at < @to GROUP BY 1`,
  );
  const out = new Map<string | number, CallSums>();
  for (const x of rows) {
    const g = out.get(x.key);
    if (!g) out.set(x.key, { ...x });
    else for (const f of FIELDS) g[f] += x[f];
  }
  return [...out.values()].filter((g) => g.calls > 0).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export const mean = (sum: number, n: number): number | null => (n ? sum / n : null);
