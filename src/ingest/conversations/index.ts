// Conversations that are not calls (chat, messaging, e-mail) and calls transcribed elsewhere, through
// the same analysis as audio. See docs/channels.md.
import type { Logger } from 'pino';
import type { PipelineBus } from '../../call/events.js';
import type { CallRegistry } from '../../call/registry.js';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Store } from '../../store/types.js';
import { ConversationEngine } from './engine.js';
import { importConversations, type ConversationImportResult } from './import.js';
import { conversationMetrics, type ConversationMetrics } from './metrics.js';
import { conversationRoutes } from './routes.js';
import type { SourceFormat } from './formats.js';
import { resolveIngestKeys } from '../fork/keys.js';

export { ConversationEngine, messageKey } from './engine.js';
export { detectFormat, type SourceFormat } from './formats.js';
export { importConversations, importKey, type ConversationImportResult, type LineRejection } from './import.js';
export { parseLine, parseRecord, type InMessage, type InEnd, type RejectReason } from './parse.js';

export interface ConversationsDeps {
  config: Config;
  log: Logger;
  bus: PipelineBus;
  calls: CallRegistry;
  store: Store;
  metrics: Metrics;
  now?: () => number;
  sweepMs?: number;
}

export interface Conversations {
  engine: ConversationEngine;
  metrics: ConversationMetrics;
  importText(text: string, opts?: { fileName?: string; format?: SourceFormat; onProgress?: (done: number, total: number) => void; signal?: AbortSignal }): Promise<ConversationImportResult>;
  /** The fastify plugin (register at the root: its paths are absolute, under the /api/v1 guard). */
  routes(): ReturnType<typeof conversationRoutes>;
  close(): void;
}

export function createConversations(d: ConversationsDeps): Conversations {
  const log = d.log.child({ stage: 'conversations' });
  const cm = conversationMetrics(d.metrics.registry);
  const repo = d.store.repos.conversations;
  const engine = new ConversationEngine({ log, bus: d.bus, calls: d.calls, repo, flush: () => d.store.flush(), metrics: cm, idleMinutes: d.config.conversations.idleMinutes, now: d.now, sweepMs: d.sweepMs });
  const importDeps = { engine, ledger: d.store, metrics: cm, log, maxTextChars: d.config.conversations.maxTextChars };
  return {
    engine,
    metrics: cm,
    importText: (text, opts) => importConversations(importDeps, text, opts),
    // Keys resolved when the routes are built (start-up): a bad key stops it, as for the forks.
    routes: () => conversationRoutes({ config: d.config, log, metrics: d.metrics, cm, engine, repo, ledger: d.store, keys: resolveIngestKeys(d.config) }),
    close: () => engine.close(),
  };
}
