import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ChannelParam } from '../../call/channel-schema.js';
import type { Store } from '../../store/types.js';
import { textSearchFrom, type Queries } from '../queries.js';
import { sendError } from '../errors.js';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });
const Label = Type.String({ minLength: 1, maxLength: 64 });
const Epoch = Type.Integer({ minimum: 0 });

const CallQuery = Type.Object({
  active: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
  state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('ended'), Type.Literal('interrupted')])),
  agent: Type.Optional(Label),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  from: Type.Optional(Epoch),
  to: Type.Optional(Epoch),
  category: Type.Optional(Label),
  emotion: Type.Optional(
    Type.Union([Type.Literal('angry'), Type.Literal('frustrated'), Type.Literal('neutral'), Type.Literal('satisfied')]),
  ),
  channel: Type.Optional(ChannelParam),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
});

const CallParams = Type.Object({ id: Id });

export function callRoutes(app: FastifyInstance, deps: { queries: Queries; store: Store }): void {
  app.get<{ Querystring: Static<typeof CallQuery> }>('/calls', { schema: { querystring: CallQuery } }, async (req) => {
    const q = req.query;
    const state = q.active === 1 ? 'active' : q.state;
    // Text search without a From covers only recent calls (a substring scan of every transcript
    // is unbounded): say from when, so the console can tell the user to widen it.
    const searchedFrom = q.q && q.from === undefined ? textSearchFrom(q, Date.now()) : undefined;
    return { calls: deps.queries.listCalls({ ...q, state }), searchedFrom };
  });

  // A call's full record includes its transcript: every view is audited.
  app.get<{ Params: Static<typeof CallParams> }>('/calls/:id', { schema: { params: CallParams } }, async (req, reply) => {
    const call = deps.queries.callDetail(req.params.id);
    if (!call) return sendError(reply, 'EARSHOT_ERR_NOT_FOUND', 'no such call');
    deps.store.audit(req.session!.user.username, 'view.call', req.params.id);
    return call;
  });
}

export { Id, Label, Epoch, ChannelParam };
