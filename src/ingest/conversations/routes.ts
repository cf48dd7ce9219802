// HTTP side of conversations: the file import (console users, supervisor), the live messages API
// (machines, per-source ingest key with protocol `messages`: closed until one is configured), and
// the console's reads (list with channel filter, transcript, channel mix).
import type { FastifyContextConfig, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { CallLimitError } from '../../call/registry.js';
import { CHANNELS, type Channel } from '../../call/types.js';
import type { Config } from '../../config/schema.js';
import { errorBody, type ErrorCode } from '../../errors.js';
import type { Metrics } from '../../metrics/registry.js';
import type { ConversationsRepo } from '../../store/repos/index.js';
import type { ImportRow } from '../../store/types.js';
import { checkKey, type IngestKey } from '../fork/keys.js';
import type { ConversationEngine } from './engine.js';
import { importConversations, type ImportLedgerStore } from './import.js';
import type { ConversationMetrics } from './metrics.js';
import { isRejection, parseRecord, type RejectReason } from './parse.js';
import type { SourceFormat } from './formats.js';
import type { Logger } from 'pino';

export interface ConversationRouteDeps {
  config: Pick<Config, 'conversations'>;
  log: Logger;
  metrics: Metrics;
  cm: ConversationMetrics;
  engine: ConversationEngine;
  repo: ConversationsRepo;
  ledger: ImportLedgerStore & { findImport(key: string): ImportRow | undefined };
  /** Resolved ingest keys (forks.apiKeys); only entries listing protocol `messages` open the live API. */
  keys: readonly IngestKey[];
}

const supervisor = { minRole: 'supervisor' } as FastifyContextConfig;
// The live API is for machines: no session, its own key check below (the guard lets it through).
const machine = { public: true } as FastifyContextConfig;
const FORMATS: readonly SourceFormat[] = ['jsonl', 'amazon-connect', 'genesys', 'csv'];
const TEXT_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json-lines', 'text/csv', 'text/plain'];

function send(reply: FastifyReply, status: number, code: ErrorCode, message?: string) {
  return reply.code(status).send(errorBody(code, message));
}

export function conversationRoutes(d: ConversationRouteDeps): FastifyPluginAsync {
  const c = d.config.conversations;
  return async (app) => {
    app.addContentTypeParser(TEXT_TYPES, { parseAs: 'string', bodyLimit: c.maxImportBytes }, (_req, body, done) => done(null, body));

    const authenticate = async (req: FastifyRequest, reply: FastifyReply) => {
      const r = checkKey(d.keys, 'messages', req.headers, req.socket.remoteAddress);
      if (r.ok) {
        req.apiKeyName = r.key.name;
        return;
      }
      d.metrics.badInput('conversation-api', r.reason);
      if (r.reason === 'closed') return send(reply, 403, 'EARSHOT_ERR_INGEST_CLOSED', 'the live conversations API is closed: add a forks.apiKeys entry listing protocol messages (docs/channels.md)');
      if (r.reason === 'forbidden-source' || r.reason === 'wrong-protocol') return send(reply, 403, 'EARSHOT_ERR_FORBIDDEN', 'this key may not send conversation messages from here');
      return reply.code(401).header('www-authenticate', 'Bearer realm="earshot-ingest"').send(errorBody('EARSHOT_ERR_UNAUTHENTICATED', 'a valid ingest API key is required'));
    };

    app.post<{ Params: { id: string }; Body: unknown }>('/api/v1/conversations/:id/messages', { config: machine, bodyLimit: c.maxImportBytes, onRequest: authenticate }, async (req, reply) => {
      const body = req.body;
      const list = Array.isArray(body) ? body : [body];
      if (list.length === 0 || list.length > c.maxBatch) {
        d.cm.rejected('limit');
        return send(reply, 400, 'EARSHOT_ERR_BAD_INPUT', `send 1-${c.maxBatch} messages (conversations.maxBatch)`);
      }
      const conversation = req.params.id;
      const out = { accepted: 0, duplicates: 0, ended: false, rejected: [] as { index: number; reason: RejectReason; detail: string }[] };
      for (const [index, item] of list.entries()) {
        const r = parseRecord(item, c.maxTextChars, { conversation });
        if (isRejection(r)) {
          d.cm.rejected(r.reason);
          out.rejected.push({ index, ...r });
          continue;
        }
        if (r.kind === 'end') {
          out.ended = d.engine.end(r.e) === 'ended' || out.ended;
          continue;
        }
        try {
          const o = d.engine.accept(r.m, req.apiKeyName ?? undefined);
          if (o === 'accepted') out.accepted++;
          else if (o === 'duplicate') out.duplicates++;
          else out.rejected.push({ index, ...o });
        } catch (err) {
          if (err instanceof CallLimitError) return reply.code(503).header('retry-after', '5').send(errorBody('EARSHOT_ERR_CALL_LIMIT', 'call limit reached; send again later', out));
          throw err;
        }
      }
      // All of it bad: the caller sent nothing usable.
      const status = out.rejected.length === list.length ? 400 : out.accepted ? 201 : 200;
      return reply.code(status).send({ conversation, callId: d.engine.callId(conversation) ?? d.repo.find(conversation)?.id ?? null, ...out });
    });

    app.post<{ Querystring: { name?: string; format?: string }; Body: unknown }>('/api/v1/conversations/import', { config: supervisor, bodyLimit: c.maxImportBytes }, async (req, reply) => {
      // A JSON export sent as application/json arrives parsed: back to its text (the same content hashes the same).
      const text = typeof req.body === 'string' ? req.body : req.body && typeof req.body === 'object' ? JSON.stringify(req.body) : undefined;
      if (text === undefined) return send(reply, 415, 'EARSHOT_ERR_MEDIA_TYPE', 'send the file as application/x-ndjson, text/csv or text/plain');
      const format = req.query.format;
      if (format !== undefined && !FORMATS.includes(format as SourceFormat)) return send(reply, 400, 'EARSHOT_ERR_BAD_INPUT', `format must be one of ${FORMATS.join(', ')}`);
      const result = await importConversations({ engine: d.engine, ledger: d.ledger, metrics: d.cm, log: d.log, maxTextChars: c.maxTextChars }, text, {
        fileName: req.query.name,
        format: format as SourceFormat | undefined,
      });
      return reply.code(result.messages ? 201 : 200).send(result);
    });

    // Progress of an import (running, done, failed and records done), by the key the POST returned.
    app.get<{ Params: { key: string } }>('/api/v1/conversations/imports/:key', async (req, reply) => {
      if (!/^[0-9a-f]{64}$/u.test(req.params.key)) return send(reply, 400, 'EARSHOT_ERR_BAD_INPUT', 'key is the 64 hex characters the import returned');
      const row = d.ledger.findImport(req.params.key);
      if (!row) return send(reply, 404, 'EARSHOT_ERR_NOT_FOUND', 'no such import');
      return { key: row.sha256, state: row.state, recordsDone: row.progressMs, startedAt: row.startedAt, finishedAt: row.finishedAt ?? null, error: row.error ?? null };
    });

    app.get<{ Querystring: { channel?: string; limit?: string } }>('/api/v1/conversations', async (req, reply) => {
      const channel = req.query.channel;
      if (channel !== undefined && !CHANNELS.includes(channel as Channel)) return send(reply, 400, 'EARSHOT_ERR_BAD_INPUT', `channel must be one of ${CHANNELS.join(', ')}`);
      const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 100) || 100));
      return { conversations: d.repo.list({ channel: channel as Channel | undefined, limit }) };
    });

    app.get<{ Params: { id: string } }>('/api/v1/conversations/:id/transcript', async (req, reply) => {
      const messages = d.repo.transcript(req.params.id);
      if (!messages.length) return send(reply, 404, 'EARSHOT_ERR_NOT_FOUND', 'no conversation with messages under this call id');
      return { callId: req.params.id, messages };
    });

    const range = (q: { from?: string; to?: string }) => {
      const to = Number(q.to) || Date.now();
      return { from: Number(q.from) || to - 30 * 86_400_000, to };
    };
    app.get<{ Querystring: { from?: string; to?: string } }>('/api/v1/conversations/mix', async (req) => {
      const { from, to } = range(req.query);
      return { from, to, channels: d.repo.channelMix(from, to) };
    });
    app.get<{ Querystring: { from?: string; to?: string } }>('/api/v1/conversations/nps', async (req) => {
      const { from, to } = range(req.query);
      return { from, to, channels: d.repo.npsByChannel(from, to) };
    });
  };
}
