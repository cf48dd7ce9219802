import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { ERRORS, errorBody, type ErrorCode } from './errors.js';
import type { Metrics } from './metrics/registry.js';

/** Answers `code` with its table status (or `status` when a route keeps another one). */
export function sendError(reply: FastifyReply, code: ErrorCode, message?: string, details?: unknown, status?: number): FastifyReply {
  return reply.code(status ?? ERRORS[code].http).send(errorBody(code, message, details));
}

const isCode = (c: unknown): c is ErrorCode => typeof c === 'string' && Object.hasOwn(ERRORS, c);

// Bounded reasons for earshot_bad_input_total; fastify's own codes map onto these.
function reasonOf(err: FastifyError): string {
  if (err.validation) return `invalid-${err.validationContext ?? 'input'}`;
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'invalid-json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'empty-body';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'media-type';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'too-large';
    default: {
      // AlarmError (and the SIP/RTP/SDP errors) name their own bounded reason.
      const reason = (err as { reason?: unknown }).reason;
      return typeof reason === 'string' ? reason : 'other';
    }
  }
}

export type ErrorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => FastifyReply;

export interface ErrorHandlerOptions {
  /** Counts a refused request (4xx); by default `earshot_bad_input_total{parser="api"}`. */
  badInput?: (reason: string) => void;
}

/**
 * The one error handler of every Earshot HTTP server (the console/API and the sync collector),
 * installed once on each root instance: encapsulated plugins inherit it. Earshot's coded errors keep
 * their code and status, fastify's (validation, body size, media type, rate limit) are mapped onto
 * codes, anything else is a 500 whose message may quote data, so the answer says nothing and the log
 * only names the code and route. The body is always {error: {code, message, details?}}.
 */
export function apiErrorHandler(metrics: Metrics, opts: ErrorHandlerOptions = {}): ErrorHandler {
  const badInput = opts.badInput ?? ((reason: string) => metrics.badInput('api', reason));
  return (err, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 429) return sendError(reply, 'EARSHOT_ERR_RATE_LIMITED');
    if (status >= 400 && status < 500) {
      badInput(reasonOf(err));
      const own = err as FastifyError & { details?: unknown; problems?: string[] };
      if (isCode(own.code)) {
        // AlarmError carries its located problems: the console points at line and column.
        const details = Array.isArray(own.details) && own.details.length ? { problems: own.details.slice(0, 50), errors: own.problems?.slice(0, 50) } : undefined;
        return sendError(reply, own.code, err.message, details, status);
      }
      // Schema validation: where and why, never the offending value (it may be a number or a name).
      if (err.validation) {
        const problems = err.validation.slice(0, 50).map((v) => ({ path: v.instancePath, keyword: v.keyword, message: v.message }));
        return sendError(reply, 'EARSHOT_ERR_BAD_INPUT', err.message, { context: err.validationContext, problems }, status);
      }
      if (status === 413) return sendError(reply, 'EARSHOT_ERR_TOO_LARGE', err.message);
      if (status === 415) return sendError(reply, 'EARSHOT_ERR_MEDIA_TYPE', err.message);
      if (status === 404) return sendError(reply, 'EARSHOT_ERR_NOT_FOUND', err.message);
      return sendError(reply, 'EARSHOT_ERR_BAD_INPUT', err.message, undefined, status);
    }
    req.log.error({ code: err.code ?? err.name, route: req.routeOptions.url }, 'api request failed');
    // A coded server-side error (store closed, model missing) keeps its code and table sentence only.
    if (isCode(err.code)) return sendError(reply, err.code, undefined, undefined, status);
    return sendError(reply, 'EARSHOT_ERR_INTERNAL');
  };
}

/** JSON schema of the one error body, for the `4xx`/`5xx` responses of routes that declare schemas. */
export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', enum: Object.keys(ERRORS) },
        message: { type: 'string' },
        details: {},
      },
    },
  },
} as const;

/** Adds the error body as the `4xx`/`5xx` response schema of every route that declares a schema. */
export function errorResponseSchemas(route: RouteOptions): void {
  if (!route.schema) return;
  const response = { ...(route.schema.response as Record<string, unknown> | undefined) };
  for (const s of ['4xx', '5xx']) response[s] ??= ERROR_BODY_SCHEMA;
  route.schema = { ...route.schema, response };
}

/** The root's error handling in one call: the handler (inherited by every plugin) and the error schemas. */
export function installErrorHandling(app: FastifyInstance, metrics: Metrics, opts: ErrorHandlerOptions = {}): void {
  app.setErrorHandler(apiErrorHandler(metrics, opts));
  app.addHook('onRoute', errorResponseSchemas);
}
