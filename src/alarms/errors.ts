/**
 * Errors of the alarm/KPI stage. Codes follow src/errors.ts; EARSHOT_ERR_ALARM_TRANSITION (409, the
 * store's code for the same refusal) is proposed for that table. `reason` is the bounded label counted in earshot_bad_input_total.
 */
export type AlarmErrorCode = 'EARSHOT_ERR_RULES' | 'EARSHOT_ERR_ALARM_TRANSITION' | 'EARSHOT_ERR_NOT_FOUND' | 'EARSHOT_ERR_BAD_INPUT';
const STATUS: Record<AlarmErrorCode, number> = { EARSHOT_ERR_RULES: 422, EARSHOT_ERR_ALARM_TRANSITION: 409, EARSHOT_ERR_NOT_FOUND: 404, EARSHOT_ERR_BAD_INPUT: 400 };

/**
 * One problem of an alarm rule file, located, so the console can point at it and say it in the
 * user's language (`code` + `params`); `message` is the English sentence of `AlarmError.problems`.
 */
export interface RuleProblem {
  code: 'yaml' | 'shape' | 'kind' | 'unknown-key' | 'value' | 'needs' | 'duplicate' | 'read';
  message: string;
  source: string;
  /** 1-based position in the file's text, when known. */
  line?: number;
  col?: number;
  /** Rule id (or its index as `rules[i]` when it has no usable id) and key. */
  rule?: string;
  key?: string;
  params?: Record<string, string | number>;
}

export class AlarmError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: AlarmErrorCode,
    readonly problems: string[],
    readonly reason = 'invalid',
    readonly details: RuleProblem[] = [],
  ) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`);
    this.name = 'AlarmError';
    this.statusCode = STATUS[code];
  }
}
