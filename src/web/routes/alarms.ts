import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AlarmService } from '../../alarms/types.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Queries } from '../queries.js';
import { ChannelParam, Label } from './calls.js';
import { sendError } from '../errors.js';

const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
const AlarmQuery = Type.Object({
  state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acked'), Type.Literal('resolved')])),
  severity: Type.Optional(Severity),
  agent: Type.Optional(Label),
  rule: Type.Optional(Label),
  channel: Type.Optional(ChannelParam),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
});
const AlarmParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const CommentBody = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false });

type Transition = 'ack' | 'resolve';

/** Maps the alarm service's errors: unknown alarm 404, refused transition 409, bad comment 400. */
function failure(reply: FastifyReply, err: unknown, metrics: Metrics) {
  const code = String((err as { code?: unknown }).code ?? '');
  if (code === 'EARSHOT_ERR_NOT_FOUND') return sendError(reply, 'EARSHOT_ERR_NOT_FOUND', 'no such alarm');
  if (code === 'EARSHOT_ERR_ALARM_STATE' || code === 'EARSHOT_ERR_ALARM_TRANSITION') {
    return sendError(reply, 'EARSHOT_ERR_ALARM_STATE', 'the alarm is not in a state that allows this');
  }
  if (code === 'EARSHOT_ERR_BAD_INPUT') {
    metrics.badInput('api', 'alarm-comment');
    return sendError(reply, 'EARSHOT_ERR_BAD_INPUT', (err as Error).message);
  }
  throw err;
}

export function alarmRoutes(app: FastifyInstance, deps: { queries: Queries; alarms: AlarmService; metrics: Metrics }): void {
  app.get<{ Querystring: Static<typeof AlarmQuery> }>('/alarms', { schema: { querystring: AlarmQuery } }, async (req) => ({
    alarms: deps.queries.listAlarms(req.query),
  }));

  for (const op of ['ack', 'resolve'] as Transition[]) {
    app.post<{ Params: Static<typeof AlarmParams>; Body: Static<typeof CommentBody> }>(
      `/alarms/:id/${op}`,
      { schema: { params: AlarmParams, body: CommentBody }, config: { minRole: 'supervisor' } },
      async (req, reply) => {
        const current = deps.queries.alarm(req.params.id);
        if (!current) return sendError(reply, 'EARSHOT_ERR_NOT_FOUND', 'no such alarm');
        const comment = req.body?.comment?.trim() || undefined;
        try {
          const row = deps.alarms[op](req.params.id, req.session!.user.username, comment);
          return { alarm: row };
        } catch (err) {
          return failure(reply, err, deps.metrics);
        }
      },
    );
  }
}
