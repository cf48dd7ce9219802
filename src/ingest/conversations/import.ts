// Whole-file conversation import (`earshot import chats.jsonl`, POST /api/v1/conversations/import).
// Idempotent twice over: a file already imported (same content hash, ledger state done) returns at
// once; a file whose import crashed or failed is simply run again, and every message it already
// stored is skipped by its key, so a rerun picks up where the last one stopped.
import { createHash } from 'node:crypto';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ImportRow } from '../../store/types.js';
import type { ConversationEngine } from './engine.js';
import { detectFormat, recordsOf, type SourceFormat } from './formats.js';
import type { ConversationMetrics } from './metrics.js';
import { isRejection, parseLine, parseRecord, type InEnd, type InMessage, type RejectReason } from './parse.js';
import { CallLimitError } from '../../call/registry.js';

export interface ImportLedgerStore {
  findImport(key: string): ImportRow | undefined;
  startImport(key: string, fileName: string): unknown;
  /** For conversation imports the progress column counts records done, not milliseconds. */
  progressImport(key: string, done: number): void;
  finishImport(key: string, result: { error?: string }): unknown;
}

export interface ConversationImportDeps {
  engine: ConversationEngine;
  ledger: ImportLedgerStore;
  metrics: ConversationMetrics;
  log: Logger;
  maxTextChars: number;
}

export interface LineRejection {
  line: number;
  reason: RejectReason;
  detail: string;
}

export interface ConversationImportResult {
  key: string;
  format: SourceFormat;
  /** The file was imported before: nothing was done. */
  duplicate: boolean;
  conversations: number;
  messages: number;
  duplicates: number;
  ended: number;
  /** Every rejected line (the first 1000; `rejectedTotal` counts all). */
  rejected: LineRejection[];
  rejectedTotal: number;
}

const MAX_LISTED = 1000;
const YIELD_EVERY = 200;

export function importKey(text: string): string {
  return createHash('sha256').update('conversations\0').update(text).digest('hex');
}

/**
 * Imports a file's conversations. Bad lines are rejected with their line number and counted; the
 * rest imports. Within a conversation, messages are fed in time order (exports are not always
 * sorted), each conversation closed by its end line, or, when its last message is already
 * conversations.idleMinutes old, at once; else it stays open for live messages.
 */
export async function importConversations(
  deps: ConversationImportDeps,
  text: string,
  opts: { fileName?: string; format?: SourceFormat; source?: string; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<ConversationImportResult> {
  const key = importKey(text);
  const fileName = (opts.fileName ?? 'upload').slice(0, 200);
  const result: ConversationImportResult = { key, format: 'jsonl', duplicate: false, conversations: 0, messages: 0, duplicates: 0, ended: 0, rejected: [], rejectedTotal: 0 };
  // `counted`: the engine counts its own rejections (ended) in the metric already.
  const reject = (line: number, reason: RejectReason, detail: string, counted = false) => {
    if (!counted) deps.metrics.rejected(reason);
    result.rejectedTotal++;
    if (result.rejected.length < MAX_LISTED) result.rejected.push({ line, reason, detail });
  };
  const prior = deps.ledger.findImport(key);
  if (prior?.state === 'done') return { ...result, format: opts.format ?? detectFormat(text, fileName), duplicate: true };
  const clog = deps.log.child({ importKey: key.slice(0, 12) }); // never the file name: it may carry names
  if (prior) clog.info({ state: prior.state }, 'conversation import run again; stored messages are skipped');

  let format: SourceFormat;
  let positioned;
  try {
    format = opts.format ?? detectFormat(text, fileName);
    positioned = [...recordsOf(text, format)];
  } catch (err) {
    reject(0, 'format', `not a readable ${opts.format ?? 'conversation'} file: ${String((err as Error).message).split('\n')[0].slice(0, 120)}`);
    return result;
  }
  result.format = format;
  deps.ledger.startImport(key, fileName);

  // Group by conversation (first appearance order), messages sorted by time, the end line last.
  const groups = new Map<string, { msgs: { line: number; m: InMessage }[]; end?: { line: number; e: InEnd } }>();
  for (const p of positioned) {
    if (p.error) {
      reject(p.line, 'format', p.error);
      continue;
    }
    const r = p.raw !== undefined ? parseLine(p.raw, deps.maxTextChars) : parseRecord(p.record, deps.maxTextChars);
    if (isRejection(r)) {
      reject(p.line, r.reason, r.detail);
      continue;
    }
    const c = r.kind === 'message' ? r.m.conversation : r.e.conversation;
    let g = groups.get(c);
    if (!g) groups.set(c, (g = { msgs: [] }));
    if (r.kind === 'message') g.msgs.push({ line: p.line, m: r.m });
    else g.end = { line: p.line, e: r.e };
  }
  const total = positioned.length;
  let done = 0;
  try {
    for (const [conversation, g] of groups) {
      // Resumable: a re-run of this file after a restart redoes the conversations the restart cut.
      if (prior && deps.engine.redoCut(conversation)) clog.info('conversation cut by a restart is imported again');
      g.msgs.sort((a, b) => a.m.at - b.m.at || a.line - b.line);
      let any = false;
      for (const { line, m } of g.msgs) {
        opts.signal?.throwIfAborted();
        let out;
        try {
          out = deps.engine.accept(m, opts.source);
        } catch (err) {
          if (!(err instanceof CallLimitError)) throw err;
          reject(line, 'limit', 'call limit reached (limits.maxCalls); import again later');
          continue;
        }
        if (out === 'accepted') {
          result.messages++;
          any = true;
        } else if (out === 'duplicate') result.duplicates++;
        else reject(line, out.reason, out.detail, true);
        if (++done % YIELD_EVERY === 0) {
          deps.ledger.progressImport(key, done);
          opts.onProgress?.(done, total);
          await yieldLoop(); // sockets, timers and the store's tick run between batches
        }
      }
      if (any) result.conversations++;
      if (g.end && deps.engine.end(g.end.e) === 'ended') result.ended++;
      if (!g.end) result.ended += deps.engine.endStale([conversation]);
    }
  } catch (err) {
    deps.ledger.finishImport(key, { error: String((err as { code?: string }).code ?? (err as Error).name ?? 'error').slice(0, 100) });
    clog.warn({ err: (err as { code?: string }).code ?? (err as Error).name }, 'conversation import failed');
    throw err;
  }
  deps.ledger.progressImport(key, total);
  deps.ledger.finishImport(key, {});
  opts.onProgress?.(total, total);
  clog.info({ format, conversations: result.conversations, messages: result.messages, duplicates: result.duplicates, rejected: result.rejectedTotal }, 'conversation import done');
  return result;
}
