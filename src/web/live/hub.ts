import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { PipelineBus } from '../../call/events.js';
import type { CallRegistry } from '../../call/registry.js';
import type { Metrics } from '../../metrics/registry.js';
import type { WebMetrics } from '../../metrics/web-metrics.js';
import type { Store } from '../../store/types.js';
import type { Session, Sessions } from '../auth/sessions.js';
import { Ring } from './ring.js';
import { LiveCalls } from './state.js';

export interface LiveOptions {
  /** Messages kept for reconnect catch-up. */
  ringSize: number;
  /** Bytes queued on a client's socket (not yet taken by the kernel) before the client is dropped. */
  maxBufferedBytes: number;
  /** Calls one client may watch (full transcript text) at a time. */
  maxWatched: number;
}

export const DEFAULT_LIVE: LiveOptions = { ringSize: 5000, maxBufferedBytes: 4 * 1024 * 1024, maxWatched: 16 };

/** Close codes a console understands. */
export const CLOSE = { slow: 4008, shutdown: 1001, sessionEnded: 4401 } as const;

interface Entry {
  seq: number;
  type: string;
  callId?: string;
  /** Full JSON, with transcript text: only for clients watching the call. */
  full: string;
  /** JSON without transcript text for everyone else; null = not sent to non-watchers. */
  brief: string | null;
}

interface Client {
  socket: WebSocket;
  user: string;
  /** The session it was opened with: its digest, the role then, and when it runs out unless used. */
  sid: string;
  role: string;
  deadline: number;
  watched: Set<string>;
  dropped: boolean;
}

export interface LiveHub {
  attach(socket: WebSocket, session: Session, resume: { since?: number; boot?: string; watch?: string }): void;
  readonly lastSeq: number;
  readonly boot: string;
  readonly clientCount: number;
  close(): void;
}

/**
 * Turns bus events into numbered console messages, keeps the last few thousand for catch-up and
 * fans them out. Transcript text (utterances, partials) only goes to clients that asked to watch
 * that call, and every watch is audited; the wallboard gets emotion and categories without text.
 */
export function createLiveHub(deps: {
  bus: PipelineBus;
  calls: CallRegistry;
  store: Store;
  metrics: Metrics;
  web: WebMetrics;
  log: Logger;
  sessions: Sessions;
  options?: Partial<LiveOptions>;
}): LiveHub {
  const opts = { ...DEFAULT_LIVE, ...deps.options };
  const boot = randomBytes(6).toString('hex');
  const ring = new Ring<Entry>(opts.ringSize);
  const live = new LiveCalls();
  const clients = new Set<Client>();
  let seq = 0;
  // Calls opened before the web server was built (it is built after the pipeline) still show.
  for (const c of deps.calls.list()) {
    live.started(c.info);
    for (const l of c.legs.values()) live.leg(c.info.callId, l.legId, l.role);
  }

  function publish(type: string, data: unknown, callId?: string, brief?: unknown | null): void {
    const s = ++seq;
    const full = JSON.stringify({ type, seq: s, data });
    const entry: Entry = {
      seq: s,
      type,
      callId,
      full,
      brief: brief === undefined ? full : brief === null ? null : JSON.stringify({ type, seq: s, data: brief }),
    };
    ring.push(entry);
    let sent = 0;
    for (const c of clients) if (deliver(c, entry)) sent++;
    if (sent) counter(type).inc(sent);
  }

  // Labelled children cached: label lookup per message per client would dominate the fan-out.
  const sentByType = new Map<string, { inc(n?: number): void }>();
  function counter(type: string) {
    let c = sentByType.get(type);
    if (!c) sentByType.set(type, (c = deps.web.wsSent.labels({ type })));
    return c;
  }

  function deliver(c: Client, e: Entry): boolean {
    const text = e.callId && c.watched.has(e.callId) ? e.full : e.brief;
    return text !== null && send(c, text);
  }

  function send(c: Client, text: string): boolean {
    if (c.dropped) return false;
    // Cheap on every send (a number compare); the database is asked only once the deadline passed.
    if (deps.sessions.now() >= c.deadline && !recheck(c)) return false;
    // ws's bufferedAmount is what the kernel has not taken yet: it only grows when the client
    // (or its network) does not keep up. No per-message callback: it would halve the fan-out rate.
    if (c.socket.bufferedAmount > opts.maxBufferedBytes) {
      drop(c);
      return false;
    }
    c.socket.send(text);
    return true;
  }

  /** Sends one message outside the numbered stream (hello, resync, error). */
  function sendControl(c: Client, text: string, type: string): void {
    if (send(c, text)) counter(type).inc();
  }

  /**
   * Whether the client's session still holds with the role it was opened with; if not, the socket
   * is closed with 4401 (the console goes back to its login page). Logout, idle and absolute
   * expiry, and the CLI's password/role change or user removal (which delete the user's sessions)
   * all end here.
   */
  function recheck(c: Client): boolean {
    const s = deps.sessions.check(c.sid);
    if (s && s.user.role === c.role) {
      c.deadline = deps.sessions.deadline(s);
      return true;
    }
    endClient(c);
    return false;
  }

  function endClient(c: Client): void {
    if (c.dropped) return;
    c.dropped = true;
    clients.delete(c);
    deps.web.wsClients.set(clients.size);
    deps.web.wsClientsDropped.inc({ reason: 'session' });
    c.socket.close(CLOSE.sessionEnded, 'session ended');
    // Nothing more is sent either way; a peer that ignores the close frame is cut off.
    setTimeout(() => c.socket.terminate(), 1000).unref();
  }

  const stopEnded = deps.sessions.onEnd((sid) => {
    for (const c of clients) if (c.sid === sid) endClient(c);
  });
  const recheckTimer = setInterval(() => {
    for (const c of clients) recheck(c);
  }, deps.sessions.recheckMs);
  recheckTimer.unref();

  function drop(c: Client): void {
    c.dropped = true;
    deps.web.wsDropped.inc();
    deps.web.wsClientsDropped.inc({ reason: 'slow' });
    deps.log.warn({ bufferedBytes: c.socket.bufferedAmount }, 'live client too slow, dropped');
    c.socket.close(CLOSE.slow, 'slow consumer');
    // A client that does not read will not read the close frame either.
    setTimeout(() => c.socket.terminate(), 2000).unref();
  }

  const { bus } = deps;
  const off = [
    bus.on('call.started', (c) => {
      live.started(c);
      publish('call.started', { callId: c.callId, ingest: c.ingest, channel: c.channel ?? 'voice', startedAt: c.startedAt, agentId: c.agentId, queue: c.queue });
    }),
    bus.on('call.updated', (c) => {
      live.updated(c);
      publish('call.updated', { callId: c.callId, agentId: c.agentId, queue: c.queue });
    }),
    bus.on('leg.added', (l) => {
      live.leg(l.callId, l.legId, l.role);
      publish('leg.added', { callId: l.callId, legId: l.legId, role: l.role });
    }),
    bus.on('call.ended', (e) => {
      live.ended(e.callId);
      publish('call.ended', e);
    }),
    bus.on('partial', (p) => publish('partial', p, p.callId, null)),
    bus.on('utterance', (u) => {
      live.utterance(u.callId, u.role, u.emotion, u.sentiment, u.categories);
      const { text: _text, ...rest } = u;
      publish('utterance', u, u.callId, rest);
    }),
    bus.on('call.event', (e) => {
      if (e.kind === 'category') publish('call.event', e);
    }),
    bus.on('alarm', (a) => {
      live.alarm(a);
      publish('alarm', a);
    }),
    bus.on('alarm.updated', (a) => {
      live.alarm(a);
      publish('alarm.updated', a);
    }),
  ];

  function onMessage(c: Client, raw: WebSocket.RawData): void {
    const size = Array.isArray(raw) ? raw.reduce((n, b) => n + b.length, 0) : (raw as Buffer | ArrayBuffer).byteLength;
    if (size > 1024) return reject(c, 'too-large');
    let msg: unknown;
    try {
      msg = JSON.parse(raw.toString());
    } catch {
      return reject(c, 'invalid-json');
    }
    const m = msg as { op?: unknown; callId?: unknown };
    if ((m.op !== 'watch' && m.op !== 'unwatch') || typeof m.callId !== 'string' || m.callId.length > 64) {
      return reject(c, 'invalid-op');
    }
    if (m.op === 'unwatch') {
      c.watched.delete(m.callId);
      return;
    }
    watch(c, m.callId);
  }

  function watch(c: Client, callId: string): void {
    if (c.watched.has(callId)) return;
    if (c.watched.size >= opts.maxWatched) return reject(c, 'too-many-watched');
    c.watched.add(callId);
    deps.store.audit(c.user, 'view.call', callId, 'live');
  }

  function reject(c: Client, reason: string): void {
    deps.metrics.badInput('ws-live', reason);
    sendControl(c, JSON.stringify({ type: 'error', seq, data: { reason } }), 'error');
  }

  return {
    get lastSeq() {
      return seq;
    },
    boot,
    get clientCount() {
      return clients.size;
    },

    attach(socket, session, resume) {
      const c: Client = {
        socket,
        user: session.user.username,
        sid: session.sid,
        role: session.user.role,
        deadline: deps.sessions.deadline(session),
        watched: new Set(),
        dropped: false,
      };
      clients.add(c);
      deps.web.wsClients.set(clients.size);
      socket.on('message', (raw) => onMessage(c, raw));
      socket.on('error', () => socket.terminate());
      socket.on('close', () => {
        clients.delete(c);
        deps.web.wsClients.set(clients.size);
      });

      // Watches given on the URL apply before the catch-up, so a reconnecting transcript view
      // gets the text of what it missed.
      for (const id of resume.watch ? resume.watch.split(',') : []) watch(c, id);
      const { since, boot: theirBoot } = resume;
      const oldest = ring.oldestSeq ?? seq + 1;
      const canResume =
        since !== undefined && (theirBoot === undefined || theirBoot === boot) && since <= seq && since >= oldest - 1;
      if (canResume) {
        sendControl(c, JSON.stringify({ type: 'hello', seq: since, data: { boot, resumed: true } }), 'hello');
        // Everything after `since` that this client would have been sent.
        for (const e of ring.after(since)) if (deliver(c, e)) counter(e.type).inc();
        return;
      }
      const type = since === undefined ? 'hello' : 'resync';
      if (type === 'resync') deps.web.wsResyncs.inc();
      sendControl(c, JSON.stringify({ type, seq, data: { boot, resumed: false, active: live.snapshot() } }), type);
    },

    close() {
      off.forEach((f) => f());
      stopEnded();
      clearInterval(recheckTimer);
      for (const c of clients) c.socket.close(CLOSE.shutdown, 'server shutting down');
    },
  };
}
