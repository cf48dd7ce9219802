import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { highRiskCustomersOffLoop } from '../../kpi/risk.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Store } from '../../store/types.js';
import { roleAtLeast } from '../auth/users.js';
import { insightPanels } from '../reports/insights.js';
import { poolInsights, reportPool } from '../reports/reads.js';
import { ChannelParam, Epoch } from './calls.js';
import { sendError } from '../errors.js';

const DAY = 86_400_000;
const Query = Type.Object({
  from: Type.Optional(Epoch),
  to: Type.Optional(Epoch),
  days: Type.Integer({ minimum: 1, maximum: 366, default: 14 }),
  /** Only this channel's conversations (and the answers and alarms tied to them). */
  channel: Type.Optional(ChannelParam),
});

/**
 * `/insights`: the dashboard's extra panels in one answer (counts and shares only, no text or
 * customer hashes): NPS distribution and trend, emotion map, category heat map, alarms by rule,
 * QA by agent, detractor drivers; for supervisors also the high-risk pool (salted customer hashes,
 * as the KPI stage's own route gives them). Days are UTC; the emotion map is hourly up to 2 days.
 * With `channel`, every panel covers that channel's conversations except the high-risk pool: a
 * customer is one customer across channels, so the pool stays whole.
 */
export function insightRoutes(app: FastifyInstance, deps: { store: Store; metrics: Metrics; clock?: () => number }): void {
  const reports = deps.store.repos.reports;
  const now = deps.clock ?? Date.now;
  app.get<{ Querystring: Static<typeof Query> }>('/insights', { schema: { querystring: Query } }, async (req, reply) => {
    const to = req.query.to ?? Math.ceil((now() + 1) / DAY) * DAY;
    const from = req.query.from ?? to - req.query.days * DAY;
    if (from >= to || to - from > 366 * DAY) {
      deps.metrics.badInput('api', 'insights-range');
      return sendError(reply, 'EARSHOT_ERR_BAD_INPUT', 'from must be before to, at most 366 days apart');
    }
    const a = { from, to, ...(req.query.channel ? { channel: req.query.channel } : {}) };
    const pool = reportPool(deps.store);
    const panels = pool ? await poolInsights(pool, a) : insightPanels(reports, a);
    return {
      from,
      to,
      ...(a.channel ? { channel: a.channel } : {}),
      ...panels,
      highRisk: roleAtLeast(req.session!.user.role, 'supervisor')
        ? await highRiskCustomersOffLoop(deps.store, { since: now() - 30 * DAY, limit: 15, maxAgeMs: 60_000, now: now() })
        : null,
    };
  });
}
