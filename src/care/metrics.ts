import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

export interface CareMetrics {
  opened: Counter<'origin'>;
  transitions: Counter<'to'>;
  escalated: Counter;
  skipped: Counter<'reason'>;
  surveys: Counter<'result'>;
  noteRedactions: Counter<'type'>;
}

/** Reused when a second service shares the registry (restarts in tests). */
export function careMetrics(reg: Registry): CareMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    (reg.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [reg] });
  return {
    opened: counter('earshot_care_cases_opened_total', 'Care cases opened, by origin: a survey, the risk pool, an alarm rule, or by hand in the console', ['origin']),
    transitions: counter('earshot_care_case_transitions_total', 'Care case state changes, by new state', ['to']),
    escalated: counter('earshot_care_cases_escalated_total', 'Care cases escalated past their SLA'),
    skipped: counter('earshot_care_skipped_total', 'Case or survey triggers not acted on, by reason', ['reason']),
    surveys: counter('earshot_survey_requests_total', 'Post-contact survey decisions after finished calls, by result', ['result']),
    noteRedactions: counter('earshot_care_note_redactions_total', 'Personal data taken out of case notes before they were stored, by type (card, phone, ID, e-mail...)', ['type']),
  };
}
