import type Database from 'better-sqlite3';

export type CaseState = 'open' | 'contacted' | 'resolved' | 'closed';
export type CaseOrigin = 'survey' | 'risk' | 'alarm' | 'supervisor';

/** A care case as stored (see migration 009). */
export interface CaseRow {
  id: number;
  customerHash: string;
  origin: CaseOrigin;
  originRef: string | null;
  reason: string;
  state: CaseState;
  team: string | null;
  assignee: string | null;
  openedBy: string;
  openedAt: number;
  dueAt: number;
  contactedAt: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  escalatedAt: number | null;
  outcome: string | null;
  notes: string | null;
  evidence: unknown;
  updatedAt: number;
}

export interface NewCase {
  customerHash: string;
  origin: CaseOrigin;
  originRef?: string;
  reason: string;
  team?: string;
  assignee?: string;
  openedBy: string;
  openedAt: number;
  dueAt: number;
  evidence: unknown;
}

export interface CaseFilter {
  state?: CaseState;
  team?: string;
  assignee?: string;
  outcome?: string;
  /** Opened at least / at most this long before `now` (ms). */
  minAgeMs?: number;
  maxAgeMs?: number;
  overdue?: boolean;
  /** Only cases whose evidence names a conversation of this channel (a customer's case spans channels). */
  channel?: string;
  now: number;
  limit: number;
}

export interface SurveyRequestRow {
  id: number;
  callId: string | null;
  customerHash: string;
  rule: string;
  kind: 'nps' | 'csat';
  caseId: number | null;
  requestedAt: number;
  sendAt: number;
}

const COLS = `id, customer_hash AS customerHash, origin, origin_ref AS originRef, reason, state, team, assignee, opened_by AS openedBy,
  opened_at AS openedAt, due_at AS dueAt, contacted_at AS contactedAt, resolved_at AS resolvedAt, closed_at AS closedAt,
  escalated_at AS escalatedAt, outcome, notes, evidence, updated_at AS updatedAt`;
const REQ_COLS = 'id, call_id AS callId, customer_hash AS customerHash, rule, kind, case_id AS caseId, requested_at AS requestedAt, send_at AS sendAt';

const toCase = (r: Record<string, unknown> | undefined): CaseRow | undefined => (r ? ({ ...r, evidence: JSON.parse(r.evidence as string) } as CaseRow) : undefined);

/** Care cases, survey requests and the NPS read-outs about them. Statements prepared once. */
export class CasesRepo {
  readonly #insert: Database.Statement;
  readonly #byOrigin: Database.Statement;
  readonly #get: Database.Statement;
  readonly #list: Database.Statement;
  readonly #setState: Database.Statement;
  readonly #assign: Database.Statement;
  readonly #overdue: Database.Statement;
  readonly #escalated: Database.Statement;
  readonly #openFor: Database.Statement;
  readonly #summary: Database.Statement;
  readonly #reqInsert: Database.Statement;
  readonly #reqLast: Database.Statement;
  readonly #reqGet: Database.Statement;
  readonly #reqForCase: Database.Statement;
  readonly #responseRate: Database.Statement;
  readonly #casedVsUncased: Database.Statement;
  readonly #callFacts: Database.Statement;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(
      `INSERT INTO cases (customer_hash, origin, origin_ref, reason, team, assignee, opened_by, opened_at, due_at, evidence, updated_at)
       VALUES (@customerHash, @origin, @originRef, @reason, @team, @assignee, @openedBy, @openedAt, @dueAt, @evidence, @openedAt)
       ON CONFLICT(origin, origin_ref) WHERE origin_ref IS NOT NULL DO NOTHING`,
    );
    this.#byOrigin = db.prepare(`SELECT ${COLS} FROM cases WHERE origin = ? AND origin_ref = ?`);
    this.#get = db.prepare(`SELECT ${COLS} FROM cases WHERE id = ?`);
    this.#list = db.prepare(
      `SELECT ${COLS} FROM cases
       WHERE (@state IS NULL OR state = @state) AND (@team IS NULL OR team = @team) AND (@assignee IS NULL OR assignee = @assignee)
         AND (@outcome IS NULL OR outcome = @outcome) AND (@minAge IS NULL OR opened_at <= @now - @minAge)
         AND (@maxAge IS NULL OR opened_at >= @now - @maxAge)
         AND (@overdue IS NULL OR (state IN ('open','contacted') AND due_at < @now) = @overdue)
         AND (@channel IS NULL OR EXISTS (SELECT 1 FROM json_each(cases.evidence, '$.calls') e
               JOIN calls c ON c.id = json_extract(e.value, '$.callId') WHERE c.channel = @channel))
       ORDER BY opened_at DESC, id DESC LIMIT @limit`,
    );
    // The guard on the old state makes a transition race-free: two supervisors cannot both move it.
    this.#setState = db.prepare(
      `UPDATE cases SET state = @to, updated_at = @at,
         contacted_at = CASE WHEN @to = 'contacted' THEN @at ELSE contacted_at END,
         resolved_at = CASE WHEN @to = 'resolved' THEN @at ELSE resolved_at END,
         closed_at = CASE WHEN @to = 'closed' THEN @at ELSE closed_at END,
         outcome = COALESCE(@outcome, outcome),
         notes = CASE WHEN @note IS NULL THEN notes WHEN notes IS NULL THEN @note ELSE notes || char(10) || @note END
       WHERE id = @id AND state = @from`,
    );
    this.#assign = db.prepare('UPDATE cases SET team = COALESCE(@team, team), assignee = @assignee, updated_at = @at WHERE id = @id');
    this.#overdue = db.prepare(`SELECT ${COLS} FROM cases WHERE state IN ('open','contacted') AND escalated_at IS NULL AND due_at < ? ORDER BY due_at, id`);
    this.#escalated = db.prepare('UPDATE cases SET escalated_at = ?, updated_at = ? WHERE id = ? AND escalated_at IS NULL');
    this.#openFor = db.prepare("SELECT 1 FROM cases WHERE customer_hash = ? AND (state IN ('open','contacted') OR opened_at >= ?)").pluck();
    this.#summary = db.prepare(
      `SELECT state, COALESCE(team, '') AS team, COALESCE(assignee, '') AS assignee, COALESCE(outcome, '') AS outcome, COUNT(*) AS n,
         SUM(CASE WHEN state IN ('open','contacted') AND due_at < @now THEN 1 ELSE 0 END) AS overdue,
         AVG(@now - opened_at) AS avgAgeMs
       FROM cases GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    );
    this.#reqInsert = db.prepare(
      `INSERT INTO survey_requests (call_id, customer_hash, rule, kind, case_id, requested_at, send_at)
       VALUES (@callId, @customerHash, @rule, @kind, @caseId, @requestedAt, @sendAt) ON CONFLICT DO NOTHING`,
    );
    this.#reqLast = db.prepare('SELECT MAX(requested_at) FROM survey_requests WHERE customer_hash = ?').pluck();
    this.#reqGet = db.prepare(`SELECT ${REQ_COLS} FROM survey_requests WHERE id = ?`);
    this.#reqForCase = db.prepare(`SELECT ${REQ_COLS} FROM survey_requests WHERE case_id = ?`);
    // Answered: the customer answered a survey of that kind after it was sent, within `window`.
    this.#responseRate = db.prepare(
      `SELECT r.rule, COUNT(*) AS requested,
         SUM(EXISTS (SELECT 1 FROM surveys s WHERE s.customer_hash = r.customer_hash AND s.kind = r.kind
                     AND s.received_at >= r.requested_at AND s.received_at <= r.send_at + @window)) AS answered
       FROM survey_requests r WHERE r.requested_at >= @from AND r.requested_at < @to GROUP BY r.rule ORDER BY r.rule`,
    );
    // Detractors (NPS 0-6) in the window; cased = a case opened for them at or after that answer.
    // Their next NPS answer (within `window`) says whether the care worked.
    this.#casedVsUncased = db.prepare(
      `WITH d AS (
         SELECT s.customer_hash AS h, MIN(s.received_at) AS at FROM surveys s
         WHERE s.kind = 'nps' AND s.score <= 6 AND s.customer_hash IS NOT NULL AND s.received_at >= @from AND s.received_at < @to GROUP BY 1),
       g AS (
         SELECT d.h, d.at, EXISTS (SELECT 1 FROM cases c WHERE c.customer_hash = d.h AND c.opened_at >= d.at - 60000) AS cased,
           (SELECT s.score FROM surveys s WHERE s.customer_hash = d.h AND s.kind = 'nps' AND s.received_at > d.at
              AND s.received_at <= d.at + @window ORDER BY s.received_at LIMIT 1) AS next
         FROM d)
       SELECT cased, COUNT(*) AS detractors, COUNT(next) AS answered,
         SUM(CASE WHEN next >= 9 THEN 1 ELSE 0 END) AS promoters, SUM(CASE WHEN next <= 6 THEN 1 ELSE 0 END) AS stillDetractors
       FROM g GROUP BY cased`,
    );
    this.#callFacts = db.prepare(
      `SELECT id, customer_hash AS customerHash, agent_id AS agentId, (ingest IN ('import', 'conversation') AND external_id LIKE 'demo-%') AS demo, queue, started_at AS startedAt, ended_at AS endedAt,
         json_extract(summary, '$.kpi.categories') AS categories, json_extract(summary, '$.kpi.sentiment.negativeEnd') AS negativeEnd
       FROM calls WHERE id = ?`,
    );
  }

  /** The new case, or the one its origin already opened (`created` false). */
  insert(c: NewCase): { row: CaseRow; created: boolean } {
    const r = this.#insert.run({ ...c, originRef: c.originRef ?? null, team: c.team ?? null, assignee: c.assignee ?? null, evidence: JSON.stringify(c.evidence) });
    if (r.changes) return { row: this.get(Number(r.lastInsertRowid)) as CaseRow, created: true };
    return { row: toCase(this.#byOrigin.get(c.origin, c.originRef) as Record<string, unknown>) as CaseRow, created: false };
  }

  get(id: number): CaseRow | undefined {
    return toCase(this.#get.get(id) as Record<string, unknown> | undefined);
  }

  list(f: CaseFilter): CaseRow[] {
    const nul = <T>(v: T | undefined) => (v === undefined ? null : v);
    return (
      this.#list.all({
        state: nul(f.state), team: nul(f.team), assignee: nul(f.assignee), outcome: nul(f.outcome), minAge: nul(f.minAgeMs), maxAge: nul(f.maxAgeMs),
        overdue: f.overdue === undefined ? null : f.overdue ? 1 : 0, channel: nul(f.channel), now: f.now, limit: f.limit,
      }) as Record<string, unknown>[]
    ).map((r) => toCase(r) as CaseRow);
  }

  /** Moves `id` from `from` to `to`; false when it was no longer in `from`. */
  transition(id: number, from: CaseState, to: CaseState, at: number, outcome?: string, note?: string): boolean {
    return this.#setState.run({ id, from, to, at, outcome: outcome ?? null, note: note ?? null }).changes === 1;
  }

  assign(id: number, team: string | undefined, assignee: string | null, at: number): boolean {
    return this.#assign.run({ id, team: team ?? null, assignee, at }).changes === 1;
  }

  /** Open or contacted cases past their SLA that have not escalated yet. */
  overdue(now: number): CaseRow[] {
    return (this.#overdue.all(now) as Record<string, unknown>[]).map((r) => toCase(r) as CaseRow);
  }

  markEscalated(id: number, at: number): boolean {
    return this.#escalated.run(at, at, id).changes === 1;
  }

  /** Whether the customer has a case still open, or one opened at or after `since`. */
  hasRecentCase(customerHash: string, since: number): boolean {
    return this.#openFor.get(customerHash, since) !== undefined;
  }

  /** Counts by state, team, assignee and outcome, with how many are overdue and their mean age. */
  summary(now: number): { state: CaseState; team: string; assignee: string; outcome: string; n: number; overdue: number; avgAgeMs: number }[] {
    return this.#summary.all({ now }) as never;
  }

  /** The request, or undefined when its call or case already had one. */
  insertRequest(r: Omit<SurveyRequestRow, 'id'>): SurveyRequestRow | undefined {
    const res = this.#reqInsert.run(r);
    return res.changes ? (this.#reqGet.get(Number(res.lastInsertRowid)) as SurveyRequestRow) : undefined;
  }

  lastRequestAt(customerHash: string): number | null {
    return (this.#reqLast.get(customerHash) as number | null) ?? null;
  }

  requestForCase(caseId: number): SurveyRequestRow | undefined {
    return this.#reqForCase.get(caseId) as SurveyRequestRow | undefined;
  }

  responseRate(from: number, to: number, windowMs: number): { rule: string; requested: number; answered: number }[] {
    return this.#responseRate.all({ from, to, window: windowMs }) as never;
  }

  casedVsUncased(from: number, to: number, windowMs: number): { cased: number; detractors: number; answered: number; promoters: number; stillDetractors: number }[] {
    return this.#casedVsUncased.all({ from, to, window: windowMs }) as never;
  }

  /** What the survey triggers need of a finished call (KPI categories as JSON text). */
  callFacts(callId: string): { id: string; demo: number; customerHash: string | null; agentId: string | null; queue: string | null; startedAt: number; endedAt: number | null; categories: string | null; negativeEnd: number | null } | undefined {
    return this.#callFacts.get(callId) as never;
  }
}
