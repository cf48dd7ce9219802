import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { EndReason, Role } from '../../call/types.js';
import { ALAW, ULAW } from '../import/g711.js';
import { closeWs, isCallLimit, str, toBuffer, WS } from './common.js';
import { Aligner, LegFramer, splitG711, splitL16 } from './framer.js';
import { RateGuard, REALTIME_FACTOR, TEXT_PER_SECOND } from './limits.js';
import { forkMetrics } from './metrics.js';
import { type ForkGate, IdleTimer } from './gate.js';
import type { CallGroups, ForkDeps } from './session.js';

// Asterisk ARI externalMedia over WebSocket (chan_websocket, Asterisk 20.16+/21.11+/22.6+):
// a text `MEDIA_START connection_id:… channel:… format:ulaw optimal_frame_size:160` (or the
// JSON control form, {"event":"MEDIA_START",…}), then raw audio frames with no header. One
// connection carries one channel; `?call=<key>&role=customer|agent` groups two snoop channels
// into one call, otherwise each connection is its own single-leg call (role from `?role`, else mixed).

interface Format {
  codec: string;
  sampleRate: number;
  bytesPerSample: number;
}
const SLIN_RATES: Record<string, number> = { slin: 8000, slin12: 12000, slin16: 16000, slin24: 24000, slin32: 32000, slin44: 44100, slin48: 48000, slin96: 96000, slin192: 192000 };
const ROLES = new Set<Role>(['customer', 'agent', 'mixed', 'unknown']);

export function formatOf(name: string): Format | undefined {
  if (name === 'ulaw' || name === 'alaw') return { codec: name === 'ulaw' ? 'pcmu' : 'pcma', sampleRate: 8000, bytesPerSample: 1 };
  const rate = SLIN_RATES[name];
  return rate ? { codec: 'l16', sampleRate: rate, bytesPerSample: 2 } : undefined;
}

/** Parses a control message in either form; returns the event name and its fields. */
export function parseControl(text: string): { event: string; fields: Record<string, string> } | undefined {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      const j = JSON.parse(t) as Record<string, unknown>;
      const event = str(j.event ?? j.type, 64);
      if (!event) return undefined;
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(j)) if (typeof v === 'string' || typeof v === 'number') fields[k] = String(v);
      return { event, fields };
    } catch {
      return undefined;
    }
  }
  const [event, ...rest] = t.split(/\s+/);
  if (!/^[A-Z_]{3,40}$/.test(event)) return undefined;
  const fields: Record<string, string> = {};
  for (const kv of rest) {
    const i = kv.indexOf(':');
    if (i > 0) fields[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { event, fields };
}

export function ariHandler(deps: ForkDeps, groups: CallGroups, gate: ForkGate) {
  const { config, log, metrics } = deps;
  const fm = forkMetrics(metrics.registry);
  return (socket: WebSocket, req: FastifyRequest): void => {
    const disconnected = fm.connected('ari');
    const clog = log.child({ ingest: 'ari' });
    const source = gate.keyOf(req)?.name;
    let pending: { key: string; ext: string; role?: Role; grouped: boolean } | undefined;
    const query = (req.query ?? {}) as Record<string, unknown>;
    let key: string | undefined;
    let framer: LegFramer | undefined;
    let fmt: Format | undefined;
    let aligner: Aligner | undefined;
    let done = false;
    const audioRate = new RateGuard(8000 * REALTIME_FACTOR);
    const textRate = new RateGuard(TEXT_PER_SECOND);

    const end = (state: 'ended' | 'interrupted', reason: EndReason): void => {
      if (done) return;
      done = true;
      idle.stop();
      framer?.flush();
      if (key) groups.leave(key, state, reason);
    };
    const fail = (reason: string, code: number): void => {
      metrics.badInput('ari', reason);
      clog.warn({ reason }, 'ari media protocol error; closing');
      closeWs(socket, code, reason);
      end('interrupted', 'protocol-error');
    };
    const idle = new IdleTimer(config.forks.idleSeconds * 1000, () => {
      metrics.badInput('ari', 'idle');
      clog.info('ari media connection sent no audio in time; closing');
      end('interrupted', 'fork-idle');
      closeWs(socket, WS.POLICY, 'no audio');
    });

    const start = (fields: Record<string, string>): void => {
      fmt = formatOf(fields.format ?? '');
      if (!fmt) return fail('bad-format', WS.UNSUPPORTED_DATA);
      const groupKey = str(query.call, 200);
      const role = str(query.role, 16) as Role | undefined;
      if (role && !ROLES.has(role)) return fail('bad-role', WS.UNSUPPORTED_DATA);
      // Groups are per source: one source cannot add a leg to another's call by naming its key.
      const ext = groupKey ?? fields.connection_id ?? randomBytes(16).toString('hex');
      const k = `${source ?? ''}|${ext}`;
      if (!groups.hasRoom(k)) return fail('group-full', WS.POLICY);
      pending = { key: k, ext, role, grouped: groupKey !== undefined };
      aligner = new Aligner(fmt.bytesPerSample);
      audioRate.setRate(fmt.sampleRate * fmt.bytesPerSample * REALTIME_FACTOR);
    };
    // The leg (and, for the first, the call and its slot under limits.maxCalls) opens with the first audio.
    const joinCall = (): boolean => {
      if (framer) return true;
      const p = pending!;
      const joined = groups.join(p.key, (i) => p.role ?? (p.grouped ? (i === 0 ? 'customer' : 'agent') : 'mixed'), fmt!.codec, source, p.ext);
      if (!joined) {
        fail('group-full', WS.POLICY);
        return false;
      }
      key = p.key;
      framer = new LegFramer(deps.bus, joined.leg.legId, fmt!.sampleRate);
      clog.info({ callId: joined.callId, codec: fmt!.codec, sampleRate: fmt!.sampleRate }, 'ari media leg started');
      return true;
    };

    socket.on('message', (raw: RawData, isBinary: boolean) => {
      if (done) return;
      try {
        const data = toBuffer(raw);
        if (data.length > config.forks.maxFrameBytes) return fail('frame-too-big', WS.TOO_BIG);
        if (!isBinary) {
          if (!textRate.take(1)) return fail('rate', WS.POLICY);
          const ctl = parseControl(data.toString('utf8'));
          if (!ctl) return fail('bad-control', WS.UNSUPPORTED_DATA);
          if (ctl.event === 'MEDIA_START') return pending ? fail('bad-state', WS.PROTOCOL_ERROR) : start(ctl.fields);
          return; // MEDIA_XOFF/XON, buffering notices: flow control for playback, which we never do
        }
        if (!pending || !fmt) return fail('no-media-start', WS.PROTOCOL_ERROR);
        if (!audioRate.take(data.length)) return fail('rate', WS.POLICY);
        if (!joinCall() || !framer) return;
        idle.touch();
        const whole = aligner!.take(data);
        framer.push(fmt.bytesPerSample === 1 ? splitG711(whole, 1, fmt.codec === 'pcmu' ? ULAW : ALAW)[0] : splitL16(whole, 1)[0]);
        fm.audio('ari', whole.length / fmt.bytesPerSample / fmt.sampleRate);
      } catch (err) {
        if (isCallLimit(err)) {
          clog.warn('call limit reached; ari media refused');
          closeWs(socket, WS.TRY_AGAIN_LATER, 'call limit');
          return end('interrupted', 'protocol-error');
        }
        clog.error({ err }, 'ari handler error');
        fail('internal', WS.INTERNAL);
      }
    });
    socket.on('close', (code: number) => {
      disconnected();
      const clean = code === WS.NORMAL || code === 1001;
      end(clean ? 'ended' : 'interrupted', clean ? 'hangup' : 'connection-lost');
    });
    socket.on('error', (err) => clog.warn({ err: err.message }, 'ari socket error'));
  };
}
