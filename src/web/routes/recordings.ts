// Recordings in call detail: the list (with what was muted), playback as WAV with HTTP ranges for
// the roles in recordings.playbackRoles, every playback and download audited, and disk use per day.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/schema.js';
import { EarshotError } from '../../errors.js';
import type { Metrics } from '../../metrics/registry.js';
import { keyFilePath, openKeyRing, renderWav, SealedReader, wavLength } from '../../recordings/index.js';
import type { Store } from '../../store/types.js';
import { sendError } from '../errors.js';
import { Id } from './calls.js';

const Params = Type.Object({ id: Id, leg: Id });
const CallParams = Type.Object({ id: Id });
const Query = Type.Object({ download: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })) });
const UsageQuery = Type.Object({ days: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }) });
/** One response's largest slice: a browser streams the rest with further ranges. */
const MAX_RANGE = 2 * 1024 * 1024;

/** bytes=a-b | a- | -n (one range; several are answered with the first). */
function parseRange(h: string, size: number): { start: number; end: number } | null | 'bad' {
  const m = /^bytes=(\d*)-(\d*)(?:,.*)?$/u.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return null;
  return { start, end };
}

export function recordingRoutes(deps: { config: Pick<Config, 'recordings' | 'privacy' | 'dataDir'>; store: Store; metrics: Metrics }): FastifyPluginAsync {
  const { config, store } = deps;
  const may = (role: string) => (config.recordings.playbackRoles as string[]).includes(role);
  return async (app) => {
    app.addHook('onSend', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
    });

    app.get<{ Params: Static<typeof CallParams> }>('/calls/:id/recordings', { schema: { params: CallParams } }, async (req) => {
      const rows = store.repos.recordings.byCall(req.params.id);
      return {
        enabled: config.privacy.storeAudio,
        playable: may(req.session!.user.role),
        recordings: rows.map((r) => ({ legId: r.legId, durationMs: r.durationMs, offsetMs: r.offsetMs, bytes: r.bytes, sampleRate: r.sampleRate, muted: r.muted, status: r.status, createdAt: r.createdAt })),
      };
    });

    app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
      '/calls/:id/recordings/:leg',
      { schema: { params: Params, querystring: Query } },
      async (req, reply) => {
        const user = req.session!.user;
        if (!may(user.role)) {
          store.audit(user.username, 'recording.denied', req.params.id, JSON.stringify({ leg: req.params.leg }));
          return sendError(reply, 'EARSHOT_ERR_FORBIDDEN', 'your role may not play recordings (recordings.playbackRoles)');
        }
        const row = store.repos.recordings.get(req.params.id, req.params.leg);
        if (!row) return sendError(reply, 'EARSHOT_ERR_NOT_FOUND', 'no recording of that leg');
        let reader: SealedReader;
        try {
          const ring = openKeyRing(keyFilePath(config));
          reader = new SealedReader(row.path, (id) => ring.key(id));
        } catch (err) {
          if (!(err instanceof EarshotError)) throw err;
          // A missing key or an altered file: said with its code, counted, never a crash.
          deps.metrics.badInput('recording', err.code);
          return sendError(reply, err.code);
        }
        try {
          const size = wavLength(reader);
          const download = req.query.download === 1;
          const rangeHeader = req.headers.range;
          let range = { start: 0, end: size - 1 };
          let partial = false;
          if (rangeHeader) {
            const r = parseRange(rangeHeader, size);
            if (r === 'bad' || r === null) {
              reply.header('content-range', `bytes */${size}`);
              return sendError(reply, 'EARSHOT_ERR_BAD_INPUT', 'range not satisfiable', undefined, 416);
            }
            range = { start: r.start, end: Math.min(r.end, r.start + MAX_RANGE - 1) };
            partial = true;
          }
          let body: Buffer;
          try {
            body = renderWav(reader, range.start, range.end);
          } catch (err) {
            if (!(err instanceof EarshotError)) throw err;
            deps.metrics.badInput('recording', err.code);
            return sendError(reply, err.code);
          }
          store.audit(user.username, download ? 'recording.download' : 'recording.play', req.params.id, JSON.stringify({ leg: req.params.leg, from: range.start, to: range.end }));
          reply.header('accept-ranges', 'bytes').header('content-type', 'audio/wav');
          if (download) reply.header('content-disposition', `attachment; filename="${req.params.id}-${req.params.leg}.wav"`.replace(/[^\x20-\x7e]/gu, '_'));
          if (partial) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
          return reply.send(body);
        } finally {
          reader.close();
        }
      },
    );

    app.get<{ Querystring: Static<typeof UsageQuery> }>('/recordings/usage', { schema: { querystring: UsageQuery }, config: { minRole: 'supervisor' } }, async (req) => {
      const from = Date.now() - req.query.days * 86_400_000;
      return { days: store.repos.recordings.usageByDay(from), total: store.repos.recordings.total(), minFreeMb: config.recordings.minFreeMb };
    });
  };
}
