// Call figures summed over a range: whole hours from call_hours (migration 005, kept by triggers on
// call_facts), the partial hours at either end from call_facts itself, so results are exact for any
// range while a month reads a few thousand hour rows instead of every call.
import { CALL_SUM_FIELDS as FIELDS, type CallSumsBy } from '../../store/repos/reports.js';
import type { Range } from './figures.js';
import { reportsOf, type ReportsSource } from './source.js';

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

/**
 * Sums of the calls started in the range, by hour, by agent, or in one row ('all'; none when no
 * calls); of one channel's calls only when `channel` is given.
 */
export function callSums(src: ReportsSource, r: Range, by: CallSumsBy, channel?: string): CallSums[] {
  const rows = reportsOf(src).callSums(r, by, channel);
  const out = new Map<string | number, CallSums>();
  for (const x of rows) {
    const g = out.get(x.key);
    if (!g) out.set(x.key, { ...x });
    else for (const f of FIELDS) g[f] += x[f];
  }
  return [...out.values()].filter((g) => g.calls > 0).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export const mean = (sum: number, n: number): number | null => (n ? sum / n : null);
