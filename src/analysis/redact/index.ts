export { redact, redactWith, CallRedactor, TAIL_GAP_MS, type Redaction, type Tail } from './redactor.js';
export type { RedactionType } from './patterns.js';
export { luhnValid, cnIdValid, findDigitRuns } from './digits.js';
