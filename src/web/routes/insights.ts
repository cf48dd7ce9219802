import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { highRiskCustomers } from '../../kpi/index.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Store } from '../../store/types.js';
import { roleAtLeast } from '../auth/users.js';
import * as fig from '../reports/figures.js';
import { Epoch } from './calls.js';
import { sendError } from '../errors.js';

const DAY = 86_400_000;
const Query = Type.Object({ from: Type.Optional(Epoch), to: Type.Optional(Epoch), days: Type.Integer({ minimum: 1, maximum: 366, default: 14 }) });

/**
 * `/insights`: the dashboard's extra panels in one answer (counts and shares only, no text or
 * customer hashes): NPS distribution and trend, emotion map, category heat map, alarms by rule,
 * QA by agent, detractor drivers; for supervisors also the high-risk pool (salted customer hashes,
 * as the KPI stage's own route gives them). Days are UTC; the emotion map is hourly up to 2 days.
 */
export function insightRoutes(app: FastifyInstance, deps: { store: Store; metrics: Metrics; clock?: () => number }): void {
  const db = deps.store.db;
  const reports = deps.store.repos.reports;
  const now = deps.clock ?? Date.now;
  app.get<{ Querystring: Static<typeof Query> }>('/insights', { schema: { querystring: Query } }, async (req, reply) => {
    const to = req.query.to ?? Math.ceil((now() + 1) / DAY) * DAY;
    const from = req.query.from ?? to - req.query.days * DAY;
    if (from >= to || to - from > 366 * DAY) {
      deps.metrics.badInput('api', 'insights-range');
      return sendError(reply, 'EARSHOT_ERR_BAD_INPUT', 'from must be before to, at most 366 days apart');
    }
    const r = { from, to };
    const emotionBucket = to - from <= 2 * DAY ? 3_600_000 : DAY;
    return {
      from,
      to,
      nps: fig.nps(reports, r),
      npsTrend: fig.npsTrend(reports, r, DAY),
      drivers: fig.npsDrivers(reports, r).slice(0, 10),
      emotionBucketMs: emotionBucket,
      emotionMap: fig.emotionMap(reports, r, emotionBucket),
      categoryHeat: fig.categoryHeat(reports, r, DAY),
      alarmsByRule: fig.alarmsByRule(reports, r),
      agents: fig.agents(reports, r),
      highRisk: roleAtLeast(req.session!.user.role, 'supervisor') ? highRiskCustomers(db, { since: now() - 30 * DAY, limit: 15, maxAgeMs: 60_000, now: now() }) : null,
    };
  });
}
