import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, errorBody, type ErrorCode } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';

export { errorBody, type ApiErrorBody } from '../errors.js';

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
      // AlarmError names its own bounded reason.
      const reason = (err as { reason?: unknown }).reason;
      return typeof reason === 'string' ? reason : 'other';
    }
  }
}

type Handler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => FastifyReply;

/**
 * The API's error handler, installed once on the root instance (plugins inherit it): Earshot's
 * coded errors keep their code and status, fastify's (validation, body size, media type, rate
 * limit) are mapped onto codes, anything else is a 500 whose message may quote data, so the
 * answer says nothing and the log only names the code and route.
 */
export function apiErrorHandler(metrics: Metrics): Handler {
  return (err, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 429) return sendError(reply, 'EARSHOT_ERR_RATE_LIMITED');
    if (status >= 400 && status < 500) {
      metrics.badInput('api', reasonOf(err));
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
