import { Type, type Static } from '@sinclair/typebox';
import type { FastifyContextConfig, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../store/types.js';
import { ChannelParam } from '../call/channel-schema.js';
import type { CaseService } from './cases.js';
import { agentCoaching, bestAgentPhrases } from './coaching.js';

export interface CareRouteDeps {
  store: Pick<Store, 'repos' | 'audit'>;
  cases: CaseService;
  metrics: Metrics;
  clock?: () => number;
  /** The response-rate answer window (config surveys.answerWindowDays). */
  answerWindowDays: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const Label = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' });
const Hash = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9_:.-]*$' });
const State = Type.Union([Type.Literal('open'), Type.Literal('contacted'), Type.Literal('resolved'), Type.Literal('closed')]);
const ListQuery = Type.Object({
  state: Type.Optional(State),
  team: Type.Optional(Label),
  assignee: Type.Optional(Label),
  outcome: Type.Optional(Label),
  /** Opened at least / at most this many hours ago. */
  minAgeHours: Type.Optional(Type.Number({ minimum: 0, maximum: 87600 })),
  maxAgeHours: Type.Optional(Type.Number({ minimum: 0, maximum: 87600 })),
  overdue: Type.Optional(Type.Boolean()),
  channel: Type.Optional(ChannelParam),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
});
const IdParam = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const OpenBody = Type.Object(
  { customerHash: Hash, reason: Type.Optional(Label), team: Type.Optional(Label), assignee: Type.Optional(Label), slaHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720 })) },
  { additionalProperties: false },
);
const TransitionBody = Type.Object(
  { to: State, outcome: Type.Optional(Label), note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
const AssignBody = Type.Object({ team: Type.Optional(Label), assignee: Type.Optional(Type.Union([Label, Type.Null()])) }, { additionalProperties: false, minProperties: 1 });
const Days = Type.Object({ days: Type.Integer({ minimum: 1, maximum: 365, default: 30 }) });
const AgentParam = Type.Object({ id: Label });
const supervisor = { minRole: 'supervisor' } as FastifyContextConfig;
const user = (req: FastifyRequest) => req.session?.user.username ?? 'unknown';

/**
 * Care cases, survey response rates, cased-vs-uncased NPS and coaching under /api/v1, for
 * supervisors (a case names a customer's calls; coaching quotes redacted transcript lines, and
 * reading either is audited).
 */
export function careRoutes(deps: CareRouteDeps): FastifyPluginAsync {
  const now = deps.clock ?? Date.now;
  const repo = deps.store.repos.cases;
  return async (app) => {

    app.get<{ Querystring: Static<typeof ListQuery> }>('/cases', { schema: { querystring: ListQuery }, config: supervisor }, async (req) => {
      const q = req.query;
      const rows = repo.list({
        state: q.state, team: q.team, assignee: q.assignee, outcome: q.outcome, overdue: q.overdue, channel: q.channel, limit: q.limit, now: now(),
        minAgeMs: q.minAgeHours === undefined ? undefined : q.minAgeHours * HOUR, maxAgeMs: q.maxAgeHours === undefined ? undefined : q.maxAgeHours * HOUR,
      });
      // The list leaves out notes and evidence (open a case for those).
      return { cases: rows.map(({ notes: _n, evidence: _e, ...c }) => ({ ...c, overdue: (c.state === 'open' || c.state === 'contacted') && c.dueAt < now() })) };
    });

    app.get<{ Querystring: Static<typeof Days> }>('/cases/summary', { schema: { querystring: Days }, config: supervisor }, async (req) => {
      const to = now();
      const from = to - req.query.days * DAY;
      const cvu = repo.casedVsUncased(from, to, 30 * DAY);
      const group = (cased: number) => {
        const g = cvu.find((r) => r.cased === cased) ?? { detractors: 0, answered: 0, promoters: 0, stillDetractors: 0 };
        return { detractors: g.detractors, answeredAgain: g.answered, followUpNps: g.answered ? Math.round(((g.promoters - g.stillDetractors) / g.answered) * 1000) / 10 : null };
      };
      return { byGroup: repo.summary(to), nps: { cased: group(1), uncased: group(0) } };
    });

    app.get<{ Params: Static<typeof IdParam> }>('/cases/:id', { schema: { params: IdParam }, config: supervisor }, async (req) => {
      const c = deps.cases.get(req.params.id);
      deps.store.audit(user(req), 'view.case', String(c.id));
      return { case: c, followUp: repo.requestForCase(c.id) ?? null };
    });

    app.post<{ Body: Static<typeof OpenBody> }>('/cases', { schema: { body: OpenBody }, config: supervisor }, async (req, reply) => {
      const b = req.body;
      const r = deps.cases.open({ customerHash: b.customerHash, origin: 'supervisor', reason: b.reason ?? 'supervisor', team: b.team, assignee: b.assignee, slaHours: b.slaHours, by: user(req) });
      return reply.code(201).send({ case: r.row });
    });

    app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof TransitionBody> }>(
      '/cases/:id/transition',
      { schema: { params: IdParam, body: TransitionBody }, config: supervisor },
      async (req) => ({ case: deps.cases.transition(req.params.id, req.body.to, user(req), { outcome: req.body.outcome, note: req.body.note }) }),
    );

    app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof AssignBody> }>(
      '/cases/:id/assign',
      { schema: { params: IdParam, body: AssignBody }, config: supervisor },
      async (req) => ({ case: deps.cases.assign(req.params.id, user(req), req.body) }),
    );

    app.get<{ Querystring: Static<typeof Days> }>('/surveys/response-rate', { schema: { querystring: Days }, config: supervisor }, async (req) => {
      const to = now();
      const rows = repo.responseRate(to - req.query.days * DAY, to, deps.answerWindowDays * DAY);
      const requested = rows.reduce((a, r) => a + r.requested, 0);
      const answered = rows.reduce((a, r) => a + r.answered, 0);
      return { requested, answered, rate: requested ? Math.round((answered / requested) * 1000) / 1000 : null, byRule: rows.map((r) => ({ ...r, rate: Math.round((r.answered / r.requested) * 1000) / 1000 })) };
    });

    app.get<{ Querystring: Static<typeof Days> }>('/coaching/best-phrases', { schema: { querystring: Days }, config: supervisor }, async (req) => {
      deps.store.audit(user(req), 'view.coaching', 'best-phrases', `${req.query.days}d`);
      return bestAgentPhrases(deps.store.repos.coaching, { since: now() - req.query.days * DAY });
    });

    app.get<{ Params: Static<typeof AgentParam>; Querystring: Static<typeof Days> }>(
      '/coaching/agents/:id',
      { schema: { params: AgentParam, querystring: Days }, config: supervisor },
      async (req) => {
        deps.store.audit(user(req), 'view.coaching', `agent:${req.params.id}`, `${req.query.days}d`);
        return agentCoaching(deps.store.repos.coaching, req.params.id, { since: now() - req.query.days * DAY });
      },
    );
  };
}
