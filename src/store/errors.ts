import { EarshotError } from '../errors.js';

/**
 * Store failures that have no code in src/errors.ts yet (asked of the lead). They carry an
 * `EARSHOT_ERR_*` code like every Earshot error; SQLite's own errors are passed through untouched
 * so their `SQLITE_*` code survives.
 */
export type StoreErrorCode = 'EARSHOT_ERR_MIGRATIONS' | 'EARSHOT_ERR_ALARM_TRANSITION' | 'EARSHOT_ERR_STORE_CLOSED';

export class StoreError extends EarshotError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, undefined, { message, cause: options?.cause });
    this.name = 'StoreError';
  }
}

export function schemaNewer(dbVersion: number, codeVersion: number): EarshotError {
  return new EarshotError(
    'EARSHOT_ERR_SCHEMA_NEWER',
    `database is at schema version ${dbVersion}, this Earshot knows up to version ${codeVersion}`,
  );
}

export function notFound(what: string): EarshotError {
  return new EarshotError('EARSHOT_ERR_NOT_FOUND', what);
}

/** SQLite errors that retrying cannot fix: the row itself is wrong (bad reference, duplicate, type). */
export function isPermanent(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError) return true;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
}

/** A bounded label for a failed write: never the message, which may quote values. */
export function errorReason(err: unknown): string {
  const code = String((err as { code?: unknown })?.code ?? '');
  if (code.startsWith('SQLITE_CONSTRAINT_FOREIGNKEY')) return 'foreign-key';
  if (code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code.startsWith('SQLITE_CONSTRAINT_PRIMARYKEY')) return 'duplicate';
  if (code.startsWith('SQLITE_CONSTRAINT_CHECK')) return 'check';
  if (code.startsWith('SQLITE_CONSTRAINT_NOTNULL')) return 'not-null';
  if (code.startsWith('SQLITE_CONSTRAINT')) return 'constraint';
  if (code.startsWith('SQLITE_FULL')) return 'full';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code.startsWith('SQLITE_READONLY')) return 'readonly';
  if (code.startsWith('SQLITE_IOERR')) return 'io';
  if (err instanceof TypeError || err instanceof RangeError) return 'type';
  return 'other';
}
