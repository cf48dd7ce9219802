import type { FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { Role } from '../../call/types.js';
import { ULAW } from '../import/g711.js';
import { closeWs, isCallLimit, toBuffer, uniqueExternalId, WS } from './common.js';
import { splitG711 } from './framer.js';
import { RateGuard, REALTIME_FACTOR, TEXT_PER_SECOND } from './limits.js';
import { forkMetrics } from './metrics.js';
import { type ForkGate, IdleTimer } from './gate.js';
import { type ForkDeps, ForkCall } from './session.js';

// Genesys Cloud AudioHook protocol v2 (server side). Text frames are JSON messages with a
// strictly increasing client `seq`; the server answers open → opened (we choose PCMU 8 kHz,
// channels external = customer, internal = agent), ping → pong, close → closed. Client errors
// are reported the AudioHook way: a `disconnect` message with reason "error", after which the
// client closes (we close the socket ourselves if it does not, after a grace period).

const CHANNEL_ROLE: Record<string, Role> = { external: 'customer', internal: 'agent' };
const DISCONNECT_GRACE_MS = 2000;

interface Media {
  type: string;
  format: string;
  channels: string[];
  rate: number;
}

/** ISO 8601 duration as AudioHook sends it ("PT1.5S", "PT2M0.02S") → ms; NaN if malformed. */
export function durationMs(d: unknown): number {
  const m = typeof d === 'string' ? /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(d) : null;
  if (!m) return NaN;
  return (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** Our choice among the offered media: PCMU 8 kHz, both parties if offered. */
export function chooseMedia(offer: unknown): Media | undefined {
  if (!Array.isArray(offer)) return undefined;
  const ok = offer.filter(
    (m): m is Media =>
      m && m.type === 'audio' && m.format === 'PCMU' && m.rate === 8000 && Array.isArray(m.channels) &&
      m.channels.length >= 1 && m.channels.length <= 2 && m.channels.every((c: unknown) => typeof c === 'string' && c in CHANNEL_ROLE) &&
      new Set(m.channels).size === m.channels.length,
  );
  return ok.find((m) => m.channels.length === 2) ?? ok[0];
}

type State = 'preparing' | 'active' | 'paused' | 'closed' | 'error';

export function audioHookHandler(deps: ForkDeps, gate: ForkGate) {
  const { config, log, metrics, calls } = deps;
  const fm = forkMetrics(metrics.registry);
  return (socket: WebSocket, req: FastifyRequest): void => {
    const disconnected = fm.connected('audiohook');
    // Re-bound once to the call's id when the call opens: every later line names it (docs/architecture.md).
    let clog = log.child({ ingest: 'audiohook' });
    const source = gate.keyOf(req)?.name;
    let opening: { ext: string; callerId?: string } | undefined;
    const headerSession = req.headers['audiohook-session-id'];
    let state: State = 'preparing';
    let sessionId = typeof headerSession === 'string' ? headerSession : '';
    let seq = 0;
    let clientseq = 0;
    let media: Media | undefined;
    let call: ForkCall | undefined;
    const audioRate = new RateGuard(8000 * 2 * REALTIME_FACTOR);
    const textRate = new RateGuard(TEXT_PER_SECOND);

    const send = (type: string, parameters: Record<string, unknown>): void => {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(JSON.stringify({ version: '2', type, seq: ++seq, clientseq, id: sessionId, parameters }));
    };

    const protocolError = (reason: string, info: string, wsCode: number = WS.PROTOCOL_ERROR): void => {
      metrics.badInput('audiohook', reason);
      clog.warn({ reason }, 'audiohook protocol error; disconnecting');
      if (state !== 'error' && state !== 'closed') send('disconnect', { reason: 'error', info });
      state = 'error';
      idle.stop();
      call?.close('interrupted', 'protocol-error');
      setTimeout(() => closeWs(socket, wsCode, reason), DISCONNECT_GRACE_MS).unref();
    };
    // Paused on purpose (AudioHook pause, e.g. while a card number is read) stops the clock.
    const idle = new IdleTimer(config.forks.idleSeconds * 1000, () => {
      metrics.badInput('audiohook', 'idle');
      clog.info('audiohook connection sent no audio in time; closing');
      if (state !== 'error' && state !== 'closed') send('disconnect', { reason: 'error', info: 'No audio received' });
      state = 'error';
      call?.close('interrupted', 'fork-idle');
      closeWs(socket, WS.POLICY, 'no audio');
    });

    // The call (and its slot under limits.maxCalls) opens with the first audio frame, not on `open`.
    const openCall = (): boolean => {
      if (call) return true;
      const legs = media!.channels.map((c) => ({ role: CHANNEL_ROLE[c], label: c, codec: 'pcmu' }));
      try {
        call = new ForkCall(deps, 'audiohook', uniqueExternalId(calls, 'audiohook', opening?.ext), legs, 8000, { callerId: opening?.callerId, source });
      } catch (err) {
        if (!isCallLimit(err)) throw err;
        clog.warn('call limit reached; audiohook refused');
        send('disconnect', { reason: 'error', info: 'Server at capacity' });
        state = 'error';
        idle.stop();
        setTimeout(() => closeWs(socket, WS.TRY_AGAIN_LATER, 'call limit'), DISCONNECT_GRACE_MS).unref();
        return false;
      }
      clog = clog.child({ callId: call.callId });
      clog.info({ channels: media!.channels.length }, 'audiohook call opened');
      return true;
    };

    const onOpen = (params: Record<string, unknown>): void => {
      media = chooseMedia(params.media);
      if (!media) return protocolError('no-media', 'No supported media offered (need PCMU 8000 Hz, external/internal)', WS.UNSUPPORTED_DATA);
      // Genesys puts the caller's number in parameters.participant.ani; the registry hashes it.
      const ani = (params.participant as { ani?: unknown } | undefined)?.ani;
      opening = { ext: typeof params.conversationId === 'string' ? params.conversationId : sessionId, callerId: typeof ani === 'string' ? ani.slice(0, 64) : undefined };
      audioRate.setRate(8000 * media.channels.length * REALTIME_FACTOR);
      state = 'active';
      send('opened', { media: [media], startPaused: false });
      clog.info({ channels: media.channels.length }, 'audiohook session opened');
    };

    const onText = (text: string): void => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(text);
      } catch {
        return protocolError('bad-json', 'Text message not valid JSON');
      }
      if (!msg || typeof msg !== 'object' || msg.version !== '2' || typeof msg.type !== 'string' || typeof msg.id !== 'string' ||
          !Number.isInteger(msg.seq) || (msg.parameters !== undefined && (typeof msg.parameters !== 'object' || msg.parameters === null))) {
        return protocolError('bad-message', 'Message not a well-formed client message');
      }
      if (msg.seq !== clientseq + 1) return protocolError('bad-seq', 'Invalid seq value (not monotonically increasing)');
      clientseq = msg.seq as number;
      if (typeof msg.serverseq === 'number' && msg.serverseq > seq) return protocolError('bad-serverseq', 'Invalid serverseq value');
      if (!sessionId) sessionId = msg.id as string;
      else if (msg.id !== sessionId) return protocolError('bad-session', 'Session identifier mismatch');
      const params = (msg.parameters ?? {}) as Record<string, unknown>;
      switch (msg.type) {
        case 'open':
          if (state !== 'preparing') return protocolError('bad-state', 'Unexpected open');
          return onOpen(params);
        case 'ping':
          return send('pong', {});
        case 'paused':
          if (state === 'active') state = 'paused';
          idle.pause();
          for (const f of call?.framers ?? []) f.flush();
          return;
        case 'resumed':
          if (state === 'paused') state = 'active';
          idle.touch();
          return call?.skip(durationMs(params.discarded) || 0); // keep call-relative time across the gap
        case 'discarded':
          return call?.skip(durationMs(params.discarded) || 0);
        case 'update':
        case 'error': // the client reports its own trouble; it will close
          return;
        case 'close':
          send('closed', {});
          state = 'closed';
          idle.stop();
          call?.close('ended', 'hangup');
          clog.info('audiohook session closed');
          return;
        default:
          return protocolError('bad-type', 'Unsupported client message type');
      }
    };

    socket.on('message', (raw: RawData, isBinary: boolean) => {
      if (state === 'error' || state === 'closed') return;
      try {
        const data = toBuffer(raw);
        if (data.length > config.forks.maxFrameBytes) return protocolError('frame-too-big', 'Message too large', WS.TOO_BIG);
        if (!isBinary) {
          if (!textRate.take(1)) return protocolError('rate', 'Too many messages', WS.POLICY);
          return onText(data.toString('utf8'));
        }
        if (state !== 'active' || !media) return protocolError('bad-state', `Received audio in state ${state}`);
        if (data.length % media.channels.length !== 0) return protocolError('bad-frame', 'Audio frame not a whole number of samples');
        if (!audioRate.take(data.length)) return protocolError('rate', 'Audio faster than real time', WS.POLICY);
        if (!openCall() || !call) return;
        idle.touch();
        call.push(splitG711(data, media.channels.length, ULAW));
        fm.audio('audiohook', data.length / media.channels.length / 8000);
      } catch (err) {
        clog.error({ err }, 'audiohook handler error');
        protocolError('internal', 'Internal server error', WS.INTERNAL);
      }
    });
    socket.on('close', () => {
      disconnected();
      idle.stop();
      call?.close(state === 'closed' ? 'ended' : 'interrupted', state === 'closed' ? 'hangup' : 'connection-lost');
    });
    socket.on('error', (err) => clog.warn({ err: err.message }, 'audiohook socket error'));
  };
}
