import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { CallRegistry } from '../../call/registry.js';
import type { IngestKind } from '../../call/types.js';

/** Closes a websocket with a code and a short, fixed reason (never echoing input). */
export function closeWs(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason.slice(0, 120));
}

export const WS = {
  NORMAL: 1000,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  TRY_AGAIN_LATER: 1013,
} as const;

/**
 * The source's id for the call when it gives one, made unique among live calls: a sender that
 * reconnects while its previous connection is still draining must not collide with itself.
 */
export function uniqueExternalId(calls: CallRegistry, ingest: IngestKind, given: unknown): string {
  const base = typeof given === 'string' && given.length > 0 && given.length <= 200 ? given : randomBytes(16).toString('hex');
  return calls.byExternal(ingest, base) ? `${base}#${randomBytes(4).toString('hex')}` : base;
}

/** A short string field from untrusted JSON, or undefined. */
export function str(v: unknown, max = 128): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}

export function isCallLimit(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 'EARSHOT_ERR_CALL_LIMIT';
}

/** Buffer from whatever `ws` hands a message listener. */
export function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
