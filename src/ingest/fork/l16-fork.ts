import type { FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { closeWs, isCallLimit, str, toBuffer, uniqueExternalId, WS } from './common.js';
import { Aligner, splitL16 } from './framer.js';
import { RateGuard, REALTIME_FACTOR, TEXT_PER_SECOND } from './limits.js';
import { forkMetrics } from './metrics.js';
import { type ForkGate, IdleTimer } from './gate.js';
import { type ForkDeps, ForkCall, layoutLegs } from './session.js';

// FreeSWITCH mod_audio_fork (subprotocol audio.drachtio.org) and the jambonz `listen` verb
// (audio.jambonz.org) speak the same shape: an optional JSON text frame of metadata, then binary
// L16 little-endian, mono / mixed / stereo-interleaved (customer, agent). The sample rate and mix
// come from the metadata (`sampleRate`, `mixType`/`mix`) or else the URL query, else 8000/mono.

export type L16Flavour = 'drachtio' | 'jambonz';
const SUBPROTOCOL: Record<L16Flavour, string> = { drachtio: 'audio.drachtio.org', jambonz: 'audio.jambonz.org' };
const MIXES = new Set(['mono', 'mixed', 'stereo']);

interface Setup {
  sampleRate: number;
  mix: 'mono' | 'mixed' | 'stereo';
  externalId?: string;
  agentId?: string;
  queue?: string;
  callerId?: string;
}

/** Throws a bounded reason string when the metadata is unusable. */
export function readSetup(meta: Record<string, unknown>, query: Record<string, unknown>): Setup {
  const rateRaw = meta.sampleRate ?? query.sampleRate ?? 8000;
  const sampleRate = typeof rateRaw === 'string' ? Number(rateRaw) : rateRaw;
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 64000) throw new Error('bad-sample-rate');
  const mix = meta.mixType ?? meta.mix ?? query.mixType ?? query.mix ?? 'mono';
  if (typeof mix !== 'string' || !MIXES.has(mix)) throw new Error('bad-mix');
  return {
    sampleRate,
    mix: mix as Setup['mix'],
    externalId: str(meta.callSid, 200) ?? str(meta.uuid, 200) ?? str(meta.callId, 200) ?? str(meta.call_uuid, 200),
    agentId: str(meta.agentId),
    queue: str(meta.queue),
    // jambonz and FreeSWITCH metadata name the caller `from` / `caller_id_number`; hashed on open.
    callerId: str(meta.from) ?? str(meta.caller_id_number) ?? str(meta.callerId) ?? str(meta.ani),
  };
}

export function l16ForkHandler(deps: ForkDeps, flavour: L16Flavour, gate: ForkGate) {
  const { config, log, metrics, calls } = deps;
  const parser = 'ws-fork';
  const fm = forkMetrics(metrics.registry);
  const protocol = flavour === 'jambonz' ? 'jambonz' : 'audio-fork';
  return (socket: WebSocket, req: FastifyRequest): void => {
    const disconnected = fm.connected(protocol);
    // Re-bound once to the call's id when the call opens: every later line names it (docs/architecture.md).
    let clog = log.child({ ingest: flavour });
    const source = gate.keyOf(req)?.name;
    let call: ForkCall | undefined;
    let setup: Setup | undefined;
    let aligner: Aligner | undefined;
    let channels = 1;
    let done = false;
    const audioRate = new RateGuard(8000 * 2 * REALTIME_FACTOR);
    const textRate = new RateGuard(TEXT_PER_SECOND);

    // Whatever closes the socket (even the subprotocol check below), the gauge comes back down.
    socket.on('close', (code: number) => {
      disconnected();
      idle.stop();
      done = true;
      // Abrupt or clean, the call ends with the connection; analysis keeps what it had.
      const clean = code === WS.NORMAL || code === 1001;
      call?.close(clean ? 'ended' : 'interrupted', clean ? 'hangup' : 'connection-lost');
    });
    socket.on('error', (err) => clog.warn({ err: err.message }, 'fork socket error'));
    const idle = new IdleTimer(config.forks.idleSeconds * 1000, () => {
      metrics.badInput(parser, 'idle');
      clog.info('fork connection sent no audio in time; closing');
      call?.close('interrupted', 'fork-idle');
      closeWs(socket, WS.POLICY, 'no audio');
    });

    const fail = (reason: string, code: number): void => {
      metrics.badInput(parser, reason);
      clog.warn({ reason }, 'fork protocol error; closing');
      done = true;
      call?.close('interrupted', 'protocol-error');
      closeWs(socket, code, reason);
    };

    // The call (and its slot under limits.maxCalls) opens with the first audio, not on connect.
    const open = (s: Setup): void => {
      const ext = uniqueExternalId(calls, 'audio-fork', s.externalId);
      call = new ForkCall(deps, 'audio-fork', ext, layoutLegs(s.mix, 'l16'), s.sampleRate, { agentId: s.agentId, queue: s.queue, callerId: s.callerId, source });
      clog = clog.child({ callId: call.callId });
      clog.info({ sampleRate: s.sampleRate, mix: s.mix }, 'fork call opened');
    };
    const configure = (s: Setup): Setup => {
      setup = s;
      channels = s.mix === 'stereo' ? 2 : 1;
      aligner = new Aligner(2 * channels);
      audioRate.setRate(s.sampleRate * 2 * channels * REALTIME_FACTOR);
      return s;
    };

    if (socket.protocol && socket.protocol !== SUBPROTOCOL[flavour]) return fail('subprotocol', WS.PROTOCOL_ERROR);

    socket.on('message', (raw: RawData, isBinary: boolean) => {
      if (done || call?.closed) return;
      try {
        const data = toBuffer(raw);
        if (data.length > config.forks.maxFrameBytes) return fail('frame-too-big', WS.TOO_BIG);
        if (!isBinary) {
          if (!textRate.take(1)) return fail('rate', WS.POLICY);
          let meta: unknown;
          try {
            meta = JSON.parse(data.toString('utf8'));
          } catch {
            return fail('bad-json', WS.UNSUPPORTED_DATA);
          }
          if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return fail('bad-metadata', WS.UNSUPPORTED_DATA);
          // Later text frames (mod_audio_fork `send_text`) carry application data: nothing to do.
          if (!setup) configure(readSetup(meta as Record<string, unknown>, (req.query ?? {}) as Record<string, unknown>));
          return;
        }
        const s = setup ?? configure(readSetup({}, (req.query ?? {}) as Record<string, unknown>)); // metadata is optional in mod_audio_fork
        if (!audioRate.take(data.length)) return fail('rate', WS.POLICY);
        if (!call) open(s);
        idle.touch();
        const chans = splitL16(aligner!.take(data), channels);
        call!.push(chans);
        fm.audio(protocol, chans[0].length / call!.framers[0].sampleRate);
      } catch (err) {
        if (isCallLimit(err)) {
          clog.warn('call limit reached; fork refused');
          done = true;
          return closeWs(socket, WS.TRY_AGAIN_LATER, 'call limit');
        }
        if (err instanceof Error && /^bad-/.test(err.message)) return fail(err.message, WS.UNSUPPORTED_DATA);
        clog.error({ err }, 'fork handler error');
        fail('internal', WS.INTERNAL);
      }
    });
  };
}
