import { pino, type Logger } from 'pino';

/**
 * The one root logger (Fastify uses it too). Redaction paths are a second line of defence:
 * stages must not log transcript text, numbers or names in the first place.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { svc: 'earshot' },
    redact: { paths: ['text', '*.text', 'aor', '*.aor', 'name', 'participant', '*.participant', 'password', '*.password', 'req.headers.cookie', 'req.headers["x-api-key"]'], censor: '[redacted]' },
  });
}
