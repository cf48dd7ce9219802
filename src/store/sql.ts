// SQL fragments of domain rules, so each rule is written once (its TS twin lives in src/call).
import { NPS_PASSIVE_MIN, NPS_PROMOTER_MIN } from '../call/nps.js';

/**
 * The category of a call event row (alias `e`). It must equal, character for character, the
 * expression migration 005 indexes (call_events_category, _category_calls, _churn_category) or the
 * planner will not use those indexes; test/store/sql.test.ts checks both.
 */
export const CATEGORY_ID_SQL = "CASE WHEN json_valid(e.data) THEN COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule')) END";

/** NPS class predicates over a score column (default `score`), from the same thresholds as npsClass(). */
export const npsSql = (col = 'score') => ({
  promoter: `${col} >= ${NPS_PROMOTER_MIN}`,
  passive: `(${col} >= ${NPS_PASSIVE_MIN} AND ${col} < ${NPS_PROMOTER_MIN})`,
  detractor: `${col} < ${NPS_PASSIVE_MIN}`,
});
