// The API's one error model lives at the root (src/error-handler.ts), shared with the sync collector.
export { errorBody, type ApiErrorBody } from '../errors.js';
export { apiErrorHandler, sendError } from '../error-handler.js';
