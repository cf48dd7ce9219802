import { createServer, type Server, type Socket } from 'node:net';
import type { EndReason, Role } from '../../call/types.js';
import { isCallLimit } from './common.js';
import { LegFramer, splitL16 } from './framer.js';
import { RateGuard, REALTIME_FACTOR } from './limits.js';
import { type ForkMetrics, forkMetrics } from './metrics.js';
import { ForkGate, IdleTimer } from './gate.js';
import { audioSocketSource, type IngestKey } from './keys.js';
import { CallGroups, type ForkDeps } from './session.js';

// Asterisk AudioSocket over TCP: messages of 1-byte type + 2-byte big-endian length + payload.
// 0x01 UUID (16 bytes, first), 0x10 signed-linear 8 kHz mono LE (0x11–0x18: 12–192 kHz on newer
// Asterisk), 0x03 DTMF (1 byte), 0x00 hangup, 0xff error. One connection per leg; connections
// sharing a UUID form one call, the first being the customer and the second the agent (start the
// customer's AudioSocket first in the dialplan). The protocol has no credentials (Asterisk's
// AudioSocket() sends nothing but the UUID it is given): a connection is accepted only from an
// address in the `allow` list of a `forks.apiKeys` entry listing `audiosocket`, whose name becomes
// the calls' source. Bind the listener to a private address as well.

const KIND = { HANGUP: 0x00, UUID: 0x01, DTMF: 0x03, ERROR: 0xff } as const;
const SLIN_RATE: Record<number, number> = { 0x10: 8000, 0x11: 12000, 0x12: 16000, 0x13: 24000, 0x14: 32000, 0x15: 44100, 0x16: 48000, 0x17: 96000, 0x18: 192000 };
const HANGUP = Buffer.from([KIND.HANGUP, 0, 0]);

export interface AudioSocketOptions {
  /** Defaults to config.forks.audioSocketPort (0 there means off, unless `port` is given). */
  port?: number;
  host?: string;
  /** Shared with the websocket forks (one set of keys and connection caps); made from the config if absent. */
  gate?: ForkGate;
}

export interface AudioSocketServer {
  readonly port: number;
  close(): Promise<void>;
}

const uuidString = (b: Buffer) => b.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

/** Starts the listener; resolves to undefined when forks are disabled or AudioSocket is off (port 0, no override). */
export async function createAudioSocketServer(deps: ForkDeps, opts: AudioSocketOptions = {}): Promise<AudioSocketServer | undefined> {
  const port = opts.port ?? deps.config.forks.audioSocketPort;
  if (!deps.config.forks.enabled || (opts.port === undefined && port === 0)) return undefined;
  const groups = new CallGroups(deps, 'audiosocket');
  const fm = forkMetrics(deps.metrics.registry);
  const gate = opts.gate ?? new ForkGate(deps.config, deps.metrics);
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    const key = audioSocketSource(gate.keys, sock.remoteAddress);
    if (!key) {
      // Closed (no entry lists audiosocket) or a source outside every entry's allow list.
      deps.metrics.badInput('audiosocket', gate.opens('audiosocket') ? 'forbidden-source' : 'closed');
      sock.destroy();
      return;
    }
    const release = gate.reserve(key, sock.remoteAddress);
    if (typeof release === 'string') {
      deps.metrics.badInput('audiosocket', release);
      sock.end(HANGUP);
      sock.destroy();
      return;
    }
    sockets.add(sock);
    sock.once('close', () => {
      release();
      sockets.delete(sock);
    });
    handleConnection(deps, groups, fm, sock, key);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, opts.host ?? deps.config.forks.audioSocketHost, () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  deps.log.info({ port: actual, open: gate.opens('audiosocket') }, gate.opens('audiosocket') ? 'AudioSocket listener started' : 'AudioSocket listener started but CLOSED: no forks.apiKeys entry lists audiosocket with an allow list');
  return {
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function handleConnection(deps: ForkDeps, groups: CallGroups, fm: ForkMetrics, sock: Socket, source: IngestKey): void {
  const { log, metrics, bus, config } = deps;
  // Re-bound once to the call's id when the leg joins its call: later lines name it (docs/architecture.md).
  let clog = log.child({ ingest: 'audiosocket' });
  let buf: Buffer = Buffer.alloc(0);
  let key: string | undefined;
  let callId = '';
  let legId = '';
  let framer: LegFramer | undefined;
  let done = false;
  const rate = new RateGuard(8000 * 2 * REALTIME_FACTOR);
  let uuid: string | undefined;
  let ext = '';
  const disconnected = fm.connected('audiosocket');
  sock.setNoDelay(true);

  const end = (state: 'ended' | 'interrupted', reason: EndReason): void => {
    if (done) return;
    done = true;
    idle.stop();
    framer?.flush();
    if (key) groups.leave(key, state, reason);
  };
  const hangUp = (): void => {
    sock.end(HANGUP); // the protocol's only way to say "stop" is a hangup message
    setTimeout(() => sock.destroy(), 2000).unref();
  };
  const fail = (reason: string): void => {
    metrics.badInput('audiosocket', reason);
    clog.warn({ reason }, 'audiosocket protocol error; hanging up');
    end('interrupted', 'protocol-error');
    hangUp();
  };
  const idle = new IdleTimer(config.forks.idleSeconds * 1000, () => {
    metrics.badInput('audiosocket', 'idle');
    clog.info('audiosocket connection sent no audio in time; hanging up');
    end('interrupted', 'fork-idle');
    hangUp();
  });

  const onMessage = (type: number, payload: Buffer): void => {
    if (!uuid) {
      if (type !== KIND.UUID || payload.length !== 16) return fail('no-uuid');
      // Groups are per source: one PBX cannot add a leg to another's call by sending its UUID.
      ext = uuidString(payload);
      uuid = `${source.name}|${ext}`;
      if (!groups.hasRoom(uuid)) return fail('group-full');
      return;
    }
    const slinRate = SLIN_RATE[type];
    if (slinRate) {
      if (payload.length % 2 !== 0) return fail('odd-audio');
      if (!key) {
        // The leg (and, for the first, the call and its slot) opens with the first audio.
        const joined = groups.join(uuid, (i): Role => (i === 0 ? 'customer' : 'agent'), 'l16', source.name, ext);
        if (!joined) return fail('group-full');
        key = uuid;
        callId = joined.callId;
        clog = clog.child({ callId });
        legId = joined.leg.legId;
      }
      idle.touch();
      if (!framer) {
        framer = new LegFramer(bus, legId, slinRate);
        rate.setRate(slinRate * 2 * REALTIME_FACTOR);
      } else if (framer.sampleRate !== slinRate) return fail('rate-change');
      if (!rate.take(payload.length)) return fail('rate');
      framer.push(splitL16(payload, 1)[0]);
      fm.audio('audiosocket', payload.length / 2 / slinRate);
      return;
    }
    switch (type) {
      case KIND.DTMF: // the digit is never kept: it may be a card number or PIN
        if (!callId) return; // before any audio there is no call to note it on
        bus.emit('call.event', { callId, legId, kind: 'dtmf', tMs: Math.round(framer?.positionMs ?? 0) });
        return;
      case KIND.HANGUP:
        end('ended', 'hangup');
        sock.end();
        return;
      case KIND.ERROR:
        clog.warn({ code: payload[0] ?? -1 }, 'audiosocket peer reported an error');
        return;
      case KIND.UUID:
        return fail('duplicate-uuid');
      default:
        return fail('bad-type');
    }
  };

  sock.on('data', (chunk: Buffer) => {
    if (done) return;
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    try {
      while (!done && buf.length >= 3) {
        const len = buf.readUInt16BE(1);
        if (len > config.forks.maxFrameBytes) return fail('frame-too-big');
        if (buf.length < 3 + len) break;
        const type = buf[0];
        const payload = buf.subarray(3, 3 + len);
        buf = buf.subarray(3 + len);
        onMessage(type, payload);
      }
    } catch (err) {
      if (isCallLimit(err)) {
        clog.warn('call limit reached; audiosocket refused');
        done = true;
        idle.stop();
        sock.end(HANGUP);
        return;
      }
      clog.error({ err }, 'audiosocket handler error');
      fail('internal');
    }
  });
  sock.on('close', () => {
    disconnected();
    end('interrupted', 'connection-lost'); // no-op after a hangup already ended it
  });
  sock.on('error', (err) => clog.warn({ err: err.message }, 'audiosocket connection error'));
}
