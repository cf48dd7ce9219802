import { Type, type Static } from '@sinclair/typebox';
import type { FastifyContextConfig, FastifyPluginAsync } from 'fastify';
import { AlarmError } from '../alarms/errors.js';
import { CHANNELS } from '../call/types.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../store/types.js';
import { fitNpsModel, MAX_SAMPLES, predictNps, toSamples, type NpsFitResult } from './nps-model.js';
import { npsReportOffLoop } from './nps.js';
import { detractorRootCause, highRiskCsv, highRiskCustomersOffLoop } from './risk.js';
import { importSurveysCsv, recordSurvey, type SurveyRow } from './surveys.js';
import { sendError } from '../error-handler.js';

export interface SurveyDeps {
  /** With `reads` (a read pool), NPS reports, the NPS model's samples and the high-risk pool are read off the event loop. */
  store: Pick<Store, 'repos' | 'reads'>;
  metrics: Metrics;
  config: Pick<Config, 'kpi'>;
  clock?: () => number;
  /** Called with each stored answer (the care stage opens a case for a detractor). */
  onSurvey?: (row: SurveyRow) => void;
  /** How long a fitted NPS model is reused before refitting (default 10 min). */
  modelTtlMs?: number;
}

const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9_:.-]*$' });
export const SurveyBody = Type.Object(
  {
    callId: Type.Optional(Id),
    customerHash: Type.Optional(Id),
    kind: Type.Union([Type.Literal('nps'), Type.Literal('csat')]),
    /** 0–10 for NPS, 1–5 for CSAT (checked after the schema, which cannot relate the two). */
    score: Type.Integer({ minimum: 0, maximum: 10 }),
  },
  { additionalProperties: false },
);
const NpsQuery = Type.Object({
  by: Type.Union([Type.Literal('agent'), Type.Literal('queue'), Type.Literal('site'), Type.Literal('channel')], { default: 'site' }),
  /** Only answers whose call (or chat, e-mail, …) is on this channel. */
  channel: Type.Optional(Type.Union(CHANNELS.map((c) => Type.Literal(c)))),
  period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('all')], { default: 'week' }),
  from: Type.Optional(Type.Integer({ minimum: 0 })),
  to: Type.Optional(Type.Integer({ minimum: 0 })),
});
const RiskQuery = Type.Object({
  sinceDays: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  limit: Type.Integer({ minimum: 1, maximum: 100000, default: 1000 }),
  format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
});
const HashParam = Type.Object({ hash: Id });
const CallParam = Type.Object({ id: Id });
// The web guard reads config.minRole (declared by src/web/auth/guard.ts).
const supervisor = { minRole: 'supervisor' } as FastifyContextConfig;
const surveyWriter = { minRole: 'supervisor', apiKey: 'survey' } as FastifyContextConfig;

/**
 * NPS/CSAT routes as one encapsulated Fastify plugin; mount it inside the API scope
 * (e.g. under /api/v1) so its guard applies. Errors answer `{ error: { code, message } }` and bad input is
 * counted as earshot_bad_input_total{parser="api"}.
 */
export function surveyRoutes(deps: SurveyDeps): FastifyPluginAsync {
  const now = deps.clock ?? Date.now;
  const opts = () => ({ now: now(), repeatWindowDays: deps.config.kpi.repeatWindowDays });
  let model: { at: number; fit: NpsFitResult } | undefined;
  // The samples are read in a read worker when there is one; the fit itself (bounded by
  // MAX_SAMPLES) runs here, at most once per modelTtlMs.
  const fit = async () => {
    if (!model || now() - model.at > (deps.modelTtlMs ?? 600_000)) {
      const reads = deps.store.reads;
      const samples = toSamples(reads ? await reads.run('kpi.npsSamples', { n: MAX_SAMPLES }) : deps.store.repos.surveys.npsSamples(MAX_SAMPLES));
      model = { at: now(), fit: fitNpsModel(samples) };
    }
    return model.fit;
  };

  return async (app) => {
    app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body));

    // Survey rows feed NPS and risk for everyone: written by supervisors or a survey system's key.
    app.post<{ Body: Static<typeof SurveyBody> }>('/surveys', { schema: { body: SurveyBody }, config: surveyWriter }, async (req, reply) => {
      const row = recordSurvey(deps.store.repos.surveys, req.body, opts());
      deps.onSurvey?.(row);
      return reply.code(201).send({ survey: row });
    });

    app.post<{ Body: string }>('/surveys/import', { config: surveyWriter }, async (req, reply) => {
      if (typeof req.body !== 'string') throw new AlarmError('EARSHOT_ERR_BAD_INPUT', ['send the CSV as text/csv'], 'csv-media-type');
      const result = importSurveysCsv(deps.store.repos.surveys, req.body, opts(), (reason) => deps.metrics.badInput('csv-surveys', reason));
      return reply.code(result.imported ? 201 : 200).send(result);
    });

    app.get<{ Querystring: Static<typeof NpsQuery> }>('/nps', { schema: { querystring: NpsQuery } }, async (req) => ({ rows: await npsReportOffLoop(deps.store, req.query) }));

    app.get('/nps/model', { config: supervisor }, async () => {
      const f = await fit();
      return f.ok ? { ok: true, trained: f.trained, heldOut: f.heldOut, accuracy: f.accuracy, baselineAccuracy: f.baselineAccuracy, classCounts: f.classCounts } : f;
    });

    app.get<{ Params: Static<typeof CallParam> }>('/calls/:id/nps-prediction', { schema: { params: CallParam } }, async (req, reply) => {
      const kpi = deps.store.repos.kpi.callKpis(req.params.id);
      if (kpi === undefined) throw new AlarmError('EARSHOT_ERR_NOT_FOUND', ['no such call'], 'call-unknown');
      if (kpi === null) return sendError(reply, 'EARSHOT_ERR_NOT_READY', 'the call has no final KPIs yet');
      const f = await fit();
      if (!f.ok) return sendError(reply, 'EARSHOT_ERR_NOT_READY', f.message, { reason: 'too-few-surveys' });
      return { prediction: predictNps(f.model, JSON.parse(kpi)), heldOutAccuracy: f.accuracy };
    });

    app.get<{ Querystring: Static<typeof RiskQuery> }>('/customers/high-risk', { schema: { querystring: RiskQuery }, config: supervisor }, async (req, reply) => {
      const rows = await highRiskCustomersOffLoop(deps.store, { since: now() - req.query.sinceDays * 86_400_000, limit: req.query.limit, maxAgeMs: 60_000, now: now() });
      if (req.query.format === 'csv') {
        return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="high-risk-customers.csv"').send(highRiskCsv(rows));
      }
      return { customers: rows };
    });

    app.get<{ Params: Static<typeof HashParam> }>('/customers/:hash/root-cause', { schema: { params: HashParam }, config: supervisor }, async (req) => detractorRootCause(deps.store.repos.risk, req.params.hash));
  };
}
