import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { redact } from '../analysis/redact/index.js';
import { EarshotError } from '../errors.js';
import { detractorRootCause, highRiskCustomers } from '../kpi/index.js';
import type { CaseOrigin, CaseRow, CaseState, CasesRepo } from '../store/repos/cases.js';
import type { Store } from '../store/types.js';
import type { CareMetrics } from './metrics.js';
import type { SurveyTriggers } from './triggers.js';
import type { CareWebhooks } from './webhooks.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/u;
const HASH = /^[A-Za-z0-9][A-Za-z0-9_:.-]{0,127}$/u;
const MAX_NOTE = 2000;

/** Allowed moves; resolved/closed need an outcome. A closed case is final. */
const NEXT: Record<CaseState, CaseState[]> = { open: ['contacted', 'resolved', 'closed'], contacted: ['resolved', 'closed'], resolved: ['closed'], closed: [] };

export interface OpenRequest {
  customerHash: string;
  origin: CaseOrigin;
  originRef?: string;
  reason: string;
  team?: string;
  assignee?: string;
  slaHours?: number;
  by: string;
  /** The evidence is gathered from the customer's calls up to this time (default now). */
  before?: number;
}

export interface CaseDeps {
  store: Pick<Store, 'repos' | 'audit'>;
  config: Pick<Config, 'care' | 'site'>;
  log: Logger;
  metrics: CareMetrics;
  webhooks: CareWebhooks;
  triggers: SurveyTriggers;
  now: () => number;
}

const bad = (msg: string) => new EarshotError('EARSHOT_ERR_BAD_INPUT', msg);

/** What a case's webhook says about it: ids, hash, labels and times; no notes, no evidence text. */
function casePayload(c: CaseRow): Record<string, unknown> {
  return {
    case: {
      id: c.id, customerHash: c.customerHash, origin: c.origin, reason: c.reason, state: c.state, team: c.team, assignee: c.assignee,
      openedAt: new Date(c.openedAt).toISOString(), dueAt: new Date(c.dueAt).toISOString(), outcome: c.outcome,
      escalatedAt: c.escalatedAt ? new Date(c.escalatedAt).toISOString() : null,
    },
  };
}

/**
 * Care cases: opening (idempotent per origin event), transitions with outcome and notes,
 * assignment, SLA escalation and the follow-up survey after closure. Every change is audited and
 * goes to the webhooks subscribed to case.* through the outbox.
 */
export class CaseService {
  readonly #repo: CasesRepo;
  constructor(private readonly d: CaseDeps) {
    this.#repo = d.store.repos.cases;
  }

  get(id: number): CaseRow {
    const c = this.#repo.get(id);
    if (!c) throw new EarshotError('EARSHOT_ERR_NOT_FOUND', `no case ${id}`);
    return c;
  }

  /** Opens a case with its evidence; the one already opened by the same origin event is returned as is. */
  open(r: OpenRequest): { row: CaseRow; created: boolean } {
    if (!HASH.test(r.customerHash)) throw bad('customerHash is not a customer hash');
    if (!LABEL.test(r.reason)) throw bad('reason must be a label (letters, digits, _ . : -)');
    if (r.team !== undefined && !LABEL.test(r.team)) throw bad('team must be a label');
    if (r.assignee !== undefined && !LABEL.test(r.assignee)) throw bad('assignee must be a user name');
    const now = this.d.now();
    const rc = detractorRootCause(this.d.store.repos.risk, r.customerHash, { calls: 3, before: r.before ?? now });
    // Evidence is ids and figures: calls, their categories, the customer's worst moments, alarms.
    const evidence = {
      calls: rc.calls.map((c) => ({ callId: c.callId, startedAt: c.startedAt, agentId: c.agentId, queue: c.queue, categories: c.categories, worstMoments: c.worstMoments, alarms: c.alarms.map((a) => a.id) })),
      topCategories: rc.topCategories.slice(0, 10),
      lastNps: rc.lastNps,
    };
    const sla = (r.slaHours ?? this.d.config.care.slaHours) * HOUR;
    const res = this.#repo.insert({
      customerHash: r.customerHash, origin: r.origin, originRef: r.originRef, reason: r.reason, team: r.team ?? this.d.config.care.team,
      assignee: r.assignee, openedBy: r.by, openedAt: now, dueAt: now + sla, evidence,
    });
    if (res.created) {
      this.d.store.audit(r.by, 'case.open', String(res.row.id), `${r.origin}:${r.reason}`);
      this.d.metrics.opened.inc({ origin: r.origin });
      this.d.webhooks.enqueue('case.opened', `case:${res.row.id}`, 'open', casePayload(res.row), now, now, res.row.id);
    }
    return res;
  }

  /** Moves a case; resolved and closed need an outcome. Closing (or resolving) requests the follow-up survey. */
  transition(id: number, to: CaseState, by: string, opts: { outcome?: string; note?: string } = {}): CaseRow {
    const c = this.get(id);
    if (!NEXT[c.state]?.includes(to)) throw new EarshotError('EARSHOT_ERR_CASE_TRANSITION', `${c.state} → ${to}`);
    if ((to === 'resolved' || to === 'closed') && !opts.outcome && !c.outcome) throw bad('resolving or closing a case needs an outcome');
    if (opts.outcome !== undefined && !LABEL.test(opts.outcome)) throw bad('outcome must be a label (letters, digits, _ . : -)');
    // Control characters (other than tab and newline) are refused: notes are shown as text.
    if (opts.note !== undefined && (opts.note.length > MAX_NOTE || [...opts.note].some((ch) => { const c = ch.charCodeAt(0); return c < 32 && c !== 9 && c !== 10; }))) throw bad(`a note is at most ${MAX_NOTE} characters of text`);
    // Supervisors type what the customer told them: card numbers, phones, IDs and e-mails are taken
    // out before the note is stored, with the same redactor as transcripts.
    const note = opts.note === undefined ? undefined : this.#redact(opts.note);
    const now = this.d.now();
    if (!this.#repo.transition(id, c.state, to, now, opts.outcome, note)) throw new EarshotError('EARSHOT_ERR_CASE_TRANSITION', `the case moved on meanwhile`);
    const row = this.get(id);
    // The note may be free text: the audit names that one was written, not what it says.
    this.d.store.audit(by, `case.${to}`, String(id), [row.outcome, note ? 'note' : ''].filter(Boolean).join(' ') || undefined);
    this.d.metrics.transitions.inc({ to });
    this.d.webhooks.enqueue('case.updated', `case:${id}`, to, casePayload(row), now, now, id);
    if (to === 'resolved' || to === 'closed') this.d.triggers.followUp(row);
    return row;
  }

  #redact(note: string): string {
    const r = redact(note);
    for (const type of r.types) this.d.metrics.noteRedactions.inc({ type: type.toLowerCase() });
    return r.text;
  }

  assign(id: number, by: string, to: { team?: string; assignee?: string | null }): CaseRow {
    const c = this.get(id);
    if (c.state === 'closed') throw new EarshotError('EARSHOT_ERR_CASE_TRANSITION', 'a closed case is not reassigned');
    if (to.team !== undefined && !LABEL.test(to.team)) throw bad('team must be a label');
    if (to.assignee != null && !LABEL.test(to.assignee)) throw bad('assignee must be a user name');
    const now = this.d.now();
    this.#repo.assign(id, to.team, to.assignee === undefined ? c.assignee : to.assignee, now);
    const row = this.get(id);
    this.d.store.audit(by, 'case.assign', String(id), `${row.team ?? ''}/${row.assignee ?? ''}`);
    this.d.webhooks.enqueue('case.updated', `case:${id}`, `assign-${now}`, casePayload(row), now, now, id);
    return row;
  }

  /** Open or contacted cases past their SLA: marked, audited as `system`, sent as case.escalated. */
  escalate(only?: (c: CaseRow) => boolean): CaseRow[] {
    const now = this.d.now();
    const out: CaseRow[] = [];
    for (const c of this.#repo.overdue(now)) {
      if (only && !only(c)) continue;
      if (!this.#repo.markEscalated(c.id, now)) continue;
      const row = this.get(c.id);
      this.d.store.audit('system', 'case.escalate', String(c.id), `overdue ${Math.round((now - c.dueAt) / 60_000)} min`);
      this.d.metrics.escalated.inc();
      this.d.webhooks.enqueue('case.escalated', `case:${c.id}`, 'escalated', casePayload(row), now, now, c.id);
      out.push(row);
    }
    return out;
  }

  /** A detractor answer (NPS 0-6) with a customer opens a case, once per survey. */
  onSurvey(s: { id: number; customerHash: string | null; kind: string; score: number; receivedAt: number }): CaseRow | undefined {
    if (!this.d.config.care.detractorCases || s.kind !== 'nps' || s.score > 6 || !s.customerHash) return undefined;
    // A customer with a case still open gets no second one (the open case is the place for it).
    if (this.#repo.hasRecentCase(s.customerHash, Number.MAX_SAFE_INTEGER)) {
      this.d.metrics.skipped.inc({ reason: 'case-open' });
      return undefined;
    }
    return this.open({ customerHash: s.customerHash, origin: 'survey', originRef: String(s.id), reason: 'detractor', by: 'system', before: s.receivedAt }).row;
  }

  /** An alarm whose rule carries `case:` opens a case for its call's customer. */
  onAlarm(a: { id?: number; callId: string; rule: string }, spec: { team: string; slaHours: number }): CaseRow | undefined {
    if (a.id === undefined) return undefined;
    const call = this.#repo.callFacts(a.callId);
    if (!call?.customerHash) {
      this.d.metrics.skipped.inc({ reason: 'no-customer' });
      return undefined;
    }
    return this.open({ customerHash: call.customerHash, origin: 'alarm', originRef: String(a.id), reason: a.rule, team: spec.team, slaHours: spec.slaHours, by: 'system' }).row;
  }

  /**
   * The high-risk pool: customers at or above care.riskScoreAtLeast without a case open or opened
   * in the last 30 days get one, with the pool's reasons.
   */
  scanRisk(): CaseRow[] {
    const min = this.d.config.care.riskScoreAtLeast;
    if (min <= 0) return [];
    const now = this.d.now();
    const out: CaseRow[] = [];
    for (const r of highRiskCustomers(this.d.store.repos, { since: now - 30 * DAY, limit: 500, now })) {
      if (r.score < min) break; // riskiest first
      if (this.#repo.hasRecentCase(r.customerHash, now - 30 * DAY)) continue;
      const day = new Date(now).toISOString().slice(0, 10);
      out.push(this.open({ customerHash: r.customerHash, origin: 'risk', originRef: `${r.customerHash}:${day}`, reason: r.reasons[0] ?? 'risk', by: 'system' }).row);
    }
    return out;
  }
}
