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
  EARSHOT_ERR_READ_BUSY: { message: 'too many heavy reads waiting; try again shortly', http: 503 },
  EARSHOT_ERR_READ_TIMEOUT: { message: 'a heavy read ran past store.readTimeoutMs and was stopped', http: 504 },
  EARSHOT_ERR_ALARM_TRANSITION: { message: 'alarm cannot move to that state', http: 409 },
  EARSHOT_ERR_CASE_TRANSITION: { message: 'care case cannot move to that state', http: 409 },
  EARSHOT_ERR_CALL_LIMIT: { message: 'call limit reached', http: 503, sip: 503 },
  EARSHOT_ERR_NO_CODEC: { message: 'no offered codec can be decoded', http: 415, sip: 488 },
  EARSHOT_ERR_FORBIDDEN_SOURCE: { message: 'source address not allowed', http: 403, sip: 403 },
  EARSHOT_ERR_BAD_INPUT: { message: 'malformed input', http: 400, sip: 400 },
  EARSHOT_ERR_MODEL_MISSING: { message: 'speech model missing or incomplete', http: 503 },
  EARSHOT_ERR_MODEL_CHECKSUM: { message: 'speech model archive checksum mismatch', http: 500 },
  EARSHOT_ERR_IMPORT_FORMAT: { message: 'unsupported or corrupt recording', http: 415 },
  EARSHOT_ERR_RULES: { message: 'rule file invalid', http: 422 },
  EARSHOT_ERR_UNAUTHENTICATED: { message: 'login required', http: 401 },
  EARSHOT_ERR_INGEST_CLOSED: { message: 'this ingest is closed: no credential is configured for it', http: 403 },
  EARSHOT_ERR_INGEST_BUSY: { message: 'ingest connection limit reached (per source, per address or in all)', http: 503 },
  EARSHOT_ERR_FORBIDDEN: { message: 'role does not allow this', http: 403 },
  EARSHOT_ERR_NOT_FOUND: { message: 'not found', http: 404 },
  EARSHOT_ERR_USER_INVALID: { message: 'invalid user name, role or password', http: 400 },
  EARSHOT_ERR_USER_EXISTS: { message: 'user already exists', http: 409 },
  EARSHOT_ERR_LOGIN: { message: 'wrong user name or password, or too many attempts: try again later', http: 401 },
  EARSHOT_ERR_CSRF: { message: 'missing or wrong x-csrf-token header', http: 403 },
  EARSHOT_ERR_ORIGIN: { message: 'cross-origin request refused', http: 403 },
  EARSHOT_ERR_RATE_LIMITED: { message: 'too many requests; wait a minute', http: 429 },
  EARSHOT_ERR_TOO_LARGE: { message: 'request body too large', http: 413 },
  EARSHOT_ERR_MEDIA_TYPE: { message: 'unsupported content type', http: 415 },
  EARSHOT_ERR_CONFLICT: { message: 'changed meanwhile; reload and try again', http: 409 },
  EARSHOT_ERR_NOT_READY: { message: 'not available yet', http: 409 },
  EARSHOT_ERR_INTERNAL: { message: 'internal error', http: 500 },
  EARSHOT_ERR_CLUSTER_INSECURE: { message: 'cluster.nats: a non-loopback NATS server needs TLS and credentials (or cluster.nats.allowInsecure)', http: 500 },
  EARSHOT_ERR_CLUSTER_ROLE: { message: 'unknown or unsupported --role combination', http: 500 },
  EARSHOT_ERR_CLUSTER_BUS: { message: 'a message on the cluster bus was malformed and dropped', http: 400 },
  EARSHOT_ERR_CLUSTER_TLS: { message: 'cluster.nats: the NATS server certificate is not trusted (cluster.nats.tls.ca)', http: 500 },
  EARSHOT_ERR_CLUSTER_AUTH: { message: 'cluster.nats: the NATS server refused the credentials', http: 500 },
  EARSHOT_ERR_CLUSTER_DENIED: { message: 'cluster.nats: the NATS server denies this role a subject it publishes to', http: 500 },
  EARSHOT_ERR_MODEL_CORRUPT: { message: 'an installed model directory fails validation', http: 500 },
  EARSHOT_ERR_MODEL_UNPACK: { message: 'a model archive could not be unpacked', http: 500 },
  EARSHOT_ERR_MODEL_IMPORT: { message: 'models import: the file is missing or matches no manifest', http: 400 },
  EARSHOT_ERR_MODEL_DOWNLOAD: { message: 'models fetch: the download failed', http: 502 },
  EARSHOT_ERR_MODEL_UNPINNED: { message: 'models fetch: the manifest has no sha256, so a download cannot be verified', http: 400 },
  EARSHOT_ERR_MODEL_UNKNOWN: { message: 'no manifest of that name in models/', http: 404 },
  EARSHOT_ERR_MODEL_MANIFEST: { message: 'a manifest in models/ is malformed', http: 500 },
  EARSHOT_ERR_MODEL_LOAD: { message: 'sherpa-onnx could not load the installed model; Earshot runs on the embedded engine', http: 503 },
  EARSHOT_ERR_MODEL_UNSET: { message: 'speech.engine is sherpa but speech.sherpa.model names no model', http: 500 },
  EARSHOT_ERR_MODEL_DISK_SPACE: { message: 'models fetch/import: not enough free disk space for the archive and its unpacked model', http: 507 },
  EARSHOT_ERR_MODEL_TLS: { message: 'models fetch: the server certificate is not trusted', http: 502 },
  EARSHOT_ERR_GPU_UNAVAILABLE: { message: 'speech.sherpa.provider asks for a GPU this host or sherpa-onnx build lacks; running on cpu', http: 503 },
  EARSHOT_ERR_MODEL_DIGEST_ARG: { message: 'models fetch/import: --sha256 is malformed or contradicts the manifest pin', http: 400 },
  EARSHOT_ERR_ASR: { message: 'the recogniser failed on a leg; the leg is marked and the call goes on', http: 500 },
  EARSHOT_ERR_ASR_WORKER: { message: 'a recognition worker died; it is restarted and its legs get an asr-restart event', http: 500 },
  EARSHOT_ERR_ASR_STALLED: { message: 'recognition made no progress while a call waited for its last transcripts; the call ended with what was recognised', http: 500 },
  EARSHOT_ERR_ASR_MODEL: { message: 'the recogniser could not load its model', http: 503 },
  EARSHOT_ERR_ASR_ADDON: { message: 'the pocketsphinx addon is not built', http: 503 },
  EARSHOT_ERR_KEYWORD_LIST: { message: 'speech.keywordWatch: the phrase list is missing, unreadable or has no phrase the dictionary can spell', http: 500 },
  EARSHOT_ERR_SAMPLE_RATE: { message: 'audio at a sample rate the pipeline does not accept', http: 400 },
  EARSHOT_ERR_WAV: { message: 'a WAV file with a broken or unsupported header', http: 415 },
  EARSHOT_ERR_DECODE: { message: 'a codec could not decode a payload', http: 400 },
  EARSHOT_ERR_CODEC: { message: 'an unknown or undecodable codec', http: 415, sip: 488 },
  EARSHOT_ERR_RTP: { message: 'a malformed RTP packet', http: 400 },
  EARSHOT_ERR_RTP_PORTS: { message: 'the RTP port pool is exhausted', http: 503, sip: 503 },
  EARSHOT_ERR_SDP: { message: 'an SDP body that cannot be parsed or offers no audio', http: 400, sip: 488 },
  EARSHOT_ERR_RS_METADATA: { message: 'malformed SIPREC metadata', http: 400 },
  EARSHOT_ERR_SIP_PARSE: { message: 'a SIP message that cannot be parsed', http: 400, sip: 400 },
  EARSHOT_ERR_SIP_BODY: { message: 'a SIP body', http: 400, sip: 400 },
  EARSHOT_ERR_NOT_ACCEPTABLE: { message: 'a re-INVITE whose offer cannot be accepted; the call stays up', http: 488, sip: 488 },
  EARSHOT_ERR_OFFER_CANCELLED: { message: 'the offer was cancelled before it was answered; no call was opened', http: 409, sip: 487 },
  EARSHOT_ERR_SEMANTIC: { message: 'the embeddings server failed, timed out or is not running; the utterance is analysed with rules only', http: 503 },
  EARSHOT_ERR_SEMANTIC_HEAD: { message: 'a semantic head file (analysis.semantic.head) is missing or malformed; rules alone decide for its language', http: 500 },
  EARSHOT_ERR_SEMANTIC_EMBEDDED: { message: 'the embedded embeddings server is not installed or did not start (scripts/setup-embeddings.sh)', http: 503 },
  EARSHOT_ERR_RECORDING_CORRUPT: { message: 'a stored recording is truncated or fails authentication', http: 500 },
  EARSHOT_ERR_RECORDING_KEY: { message: 'the key a recording was sealed with is missing or wrong', http: 500 },
  EARSHOT_ERR_RECORDING_IO: { message: 'a recording or the key ring could not be read or written', http: 500 },
  EARSHOT_ERR_ALARM_STATE: { message: 'an alarm action that does not fit its current state', http: 409 },
} as const satisfies Record<string, { message: string; http: number; sip?: number }>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * The one error an operator or API client sees. Stage errors subclass it (WavError, ConfigError …)
 * so `instanceof` still picks them out; `message` replaces the table sentence when a subclass words
 * its own (a list of problems, a reason).
 */
export class EarshotError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown; message?: string },
  ) {
    super(options?.message ?? (detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EarshotError';
    this.statusCode = ERRORS[code].http;
  }
}

/** The one error body of the HTTP API and of refused ingest upgrades (docs/errors.md#api-error-bodies). */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(code: ErrorCode, message?: string, details?: unknown): ApiErrorBody {
  return { error: { code, message: message ?? ERRORS[code].message, ...(details === undefined ? {} : { details }) } };
}
