export { redact, redactWith, CallRedactor, TAIL_GAP_MS, type Redaction, type Tail } from './redactor.js';
export { REDACTION_TOKEN, type RedactionType } from './patterns.js';
export { luhnValid, cnIdValid, findDigitRuns } from './digits.js';
export { mutedSpans, type AudioSpan } from './audio-spans.js';
