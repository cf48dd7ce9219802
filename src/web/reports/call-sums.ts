// Call figures summed over a range: whole hours from call_hours (migration 005, kept by triggers on
// call_facts), the partial hours at either end from call_facts itself, so results are exact for any
// range while a month reads a few thousand hour rows instead of every call.
import { CALL_SUM_FIELDS as FIELDS, type CallSumsBy, type CallSumsRow } from '../../store/repos/reports.js';
import type { Range } from './figures.js';
import { reportsOf, type ReportsSource } from './source.js';

/** Call sums of one group: the key is the hour (epoch ms), the agent id ('' for none) or '' for the whole range. */
export type CallSums = CallSumsRow;

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
