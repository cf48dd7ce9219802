import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Queries } from '../queries.js';
import { ChannelParam, Epoch, Label } from './calls.js';

const DAY = 86_400_000;
const OverviewQuery = Type.Object({ from: Type.Optional(Epoch), to: Type.Optional(Epoch), channel: Type.Optional(ChannelParam) });
const RollupQuery = Type.Object({
  bucket: Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], { default: 'hour' }),
  dim: Type.Union([Type.Literal('site'), Type.Literal('agent'), Type.Literal('queue')], { default: 'site' }),
  dimValue: Type.Optional(Label),
  from: Type.Optional(Epoch),
  to: Type.Optional(Epoch),
});
const AuditQuery = Type.Object({
  actor: Type.Optional(Label),
  action: Type.Optional(Label),
  from: Type.Optional(Epoch),
  to: Type.Optional(Epoch),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
});

/** Defaults to the last 24 hours. */
const range = (q: { from?: number; to?: number }) => {
  const to = q.to ?? Date.now() + 1;
  return { from: q.from ?? to - DAY, to };
};

export function kpiRoutes(app: FastifyInstance, deps: { queries: Queries }): void {
  app.get<{ Querystring: Static<typeof OverviewQuery> }>('/kpi/overview', { schema: { querystring: OverviewQuery } }, async (req) =>
    deps.queries.overview({ ...range(req.query), channel: req.query.channel }),
  );

  app.get<{ Querystring: Static<typeof RollupQuery> }>('/kpi/rollups', { schema: { querystring: RollupQuery } }, async (req) => ({
    rollups: deps.queries.rollups({ ...req.query, ...range(req.query) }),
  }));

  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/audit',
    { schema: { querystring: AuditQuery }, config: { minRole: 'admin' } },
    async (req) => ({ entries: deps.queries.audit(req.query) }),
  );
}
