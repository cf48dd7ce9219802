/**
 * Earshot's own error codes: one table of code → message → HTTP/SIP status. Foreign errors
 * (SQLite, SIP peers, ASR engines) keep their own codes and are wrapped, not renamed.
 * docs/errors.md documents every code; test/errors.test.ts checks that it does.
 */
export const ERRORS = {
  EARSHOT_ERR_CONFIG: { message: 'invalid configuration', http: 500 },
  EARSHOT_ERR_SCHEMA_NEWER: { message: 'database schema is newer than this Earshot', http: 500 },
  EARSHOT_ERR_MIGRATIONS: { message: 'schema migration files missing or misnumbered', http: 500 },
  EARSHOT_ERR_STORE_CLOSED: { message: 'the store is closed', http: 503 },
  EARSHOT_ERR_ALARM_TRANSITION: { message: 'alarm cannot move to that state', http: 409 },
  EARSHOT_ERR_CALL_LIMIT: { message: 'call limit reached', http: 503, sip: 503 },
  EARSHOT_ERR_NO_CODEC: { message: 'no offered codec can be decoded', http: 415, sip: 488 },
  EARSHOT_ERR_FORBIDDEN_SOURCE: { message: 'source address not allowed', http: 403, sip: 403 },
  EARSHOT_ERR_BAD_INPUT: { message: 'malformed input', http: 400, sip: 400 },
  EARSHOT_ERR_MODEL_MISSING: { message: 'speech model missing or incomplete', http: 503 },
  EARSHOT_ERR_MODEL_CHECKSUM: { message: 'speech model archive checksum mismatch', http: 500 },
  EARSHOT_ERR_IMPORT_FORMAT: { message: 'unsupported or corrupt recording', http: 415 },
  EARSHOT_ERR_RULES: { message: 'rule file invalid', http: 422 },
  EARSHOT_ERR_UNAUTHENTICATED: { message: 'login required', http: 401 },
  EARSHOT_ERR_FORBIDDEN: { message: 'role does not allow this', http: 403 },
  EARSHOT_ERR_NOT_FOUND: { message: 'not found', http: 404 },
  EARSHOT_ERR_USER_INVALID: { message: 'invalid user name, role or password', http: 400 },
  EARSHOT_ERR_USER_EXISTS: { message: 'user already exists', http: 409 },
} as const satisfies Record<string, { message: string; http: number; sip?: number }>;

export type ErrorCode = keyof typeof ERRORS;

export class EarshotError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message, options);
    this.name = 'EarshotError';
    this.statusCode = ERRORS[code].http;
  }
}
