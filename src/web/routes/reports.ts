import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics/registry.js';
import type { Store } from '../../store/types.js';
import { createReportOffLoop, listReports, reportBody } from '../reports/index.js';
import { sendError } from '../errors.js';

const Period = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]);
const ListQuery = Type.Object({ period: Type.Optional(Period), limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) });
const NewBody = Type.Object(
  {
    period: Period,
    /** A day of the period, 'YYYY-MM-DD' (UTC), or epoch ms; the report covers the whole period holding it. */
    start: Type.Union([Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), Type.Integer({ minimum: 0 })]),
    lang: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('zh')])),
  },
  { additionalProperties: false },
);
const FileParams = Type.Object({ id: Type.Integer({ minimum: 1 }), format: Type.Union([Type.Literal('html'), Type.Literal('csv')]) });

// The report page is ours and has no script: inline styles only, nothing else loads.
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/** Insight reports: list, generate on demand (supervisor+), download as HTML or CSV. */
export function reportRoutes(app: FastifyInstance, deps: { store: Store; metrics: Metrics; clock?: () => number }): void {
  const db = deps.store.repos.reports;
  const now = deps.clock ?? Date.now;

  app.get<{ Querystring: Static<typeof ListQuery> }>('/reports', { schema: { querystring: ListQuery } }, async (req) => ({ reports: listReports(db, req.query) }));

  app.post<{ Body: Static<typeof NewBody> }>('/reports', { schema: { body: NewBody }, config: { minRole: 'supervisor' } }, async (req, reply) => {
    const at = typeof req.body.start === 'number' ? req.body.start : Date.parse(`${req.body.start}T00:00:00Z`);
    if (!Number.isFinite(at)) {
      deps.metrics.badInput('api', 'report-start');
      return sendError(reply, 'EARSHOT_ERR_BAD_INPUT', 'start is not a valid date');
    }
    if (at >= now()) {
      deps.metrics.badInput('api', 'report-future');
      return sendError(reply, 'EARSHOT_ERR_BAD_INPUT', 'start must be in the past');
    }
    const report = await createReportOffLoop(deps.store, { period: req.body.period, at, createdBy: req.session!.user.username, lang: req.body.lang, now: now() });
    deps.store.audit(req.session!.user.username, 'report.create', String(report.id), report.period);
    return reply.code(201).send({ report });
  });

  // Reports cite call ids, never transcript text: reading one needs no audit (call detail audits).
  app.get<{ Params: Static<typeof FileParams> }>('/reports/:id.:format', { schema: { params: FileParams } }, async (req, reply) => {
    const r = reportBody(db, req.params.id, req.params.format);
    if (!r) return sendError(reply, 'EARSHOT_ERR_NOT_FOUND', 'no such report');
    const name = `earshot-${r.meta.period}-${new Date(r.meta.start).toISOString().slice(0, 10)}`;
    if (req.params.format === 'csv') {
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(r.body);
    }
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', REPORT_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', `inline; filename="${name}.html"`)
      .send(r.body);
  });
}
