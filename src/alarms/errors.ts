import { EarshotError } from '../errors.js';

/**
 * Errors of the alarm/KPI stage: an EarshotError whose status is its code's in src/errors.ts.
 * `reason` is the bounded label counted in earshot_bad_input_total.
 */
export type AlarmErrorCode = 'EARSHOT_ERR_RULES' | 'EARSHOT_ERR_ALARM_TRANSITION' | 'EARSHOT_ERR_NOT_FOUND' | 'EARSHOT_ERR_BAD_INPUT';

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

export class AlarmError extends EarshotError {
  declare readonly code: AlarmErrorCode;
  constructor(
    code: AlarmErrorCode,
    readonly problems: string[],
    readonly reason = 'invalid',
    readonly details: RuleProblem[] = [],
  ) {
    super(code, undefined, { message: problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}` });
    this.name = 'AlarmError';
  }
}
