import { sessionEnded } from './api.js';

// Close code the server uses when the socket's session ended (logout, idle, role change).
const SESSION_ENDED = 4401;

// The live event stream. Remembers the server's boot id and the last sequence number so a
// reconnect resumes with ?since= and misses nothing; on 'resync' the views refetch.

export class LiveClient {
  constructor() {
    this.boot = null;
    this.lastSeq = null;
    this.watched = new Set();
    this.handlers = new Set();
    this.statusHandlers = new Set();
    this.ws = null;
    this.stopped = true;
    this.backoff = 500;
    this.timer = null;
  }

  on(fn) {
    this.handlers.add(fn);
    return () => this.handlers.delete(fn);
  }

  onStatus(fn) {
    this.statusHandlers.add(fn);
    return () => this.statusHandlers.delete(fn);
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
    this.boot = null;
    this.lastSeq = null;
    this.watched.clear();
  }

  status(s) {
    for (const fn of this.statusHandlers) fn(s);
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const params = new URLSearchParams();
    if (this.lastSeq !== null) {
      params.set('since', String(this.lastSeq));
      params.set('boot', this.boot);
    }
    // Watched calls are named on the URL so the catch-up already carries their transcript text.
    if (this.watched.size) params.set('watch', [...this.watched].join(','));
    const q = params.size ? `?${params}` : '';
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/live${q}`);
    this.ws = ws;
    this.status('connecting');
    ws.onopen = () => {
      this.backoff = 500;
      this.status('connected');
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg.type === 'hello' || msg.type === 'resync') {
        this.boot = msg.data.boot;
        this.lastSeq = msg.seq;
      } else if (msg.type !== 'error') {
        if (this.lastSeq !== null && msg.seq <= this.lastSeq) return; // already seen
        this.lastSeq = msg.seq;
      }
      for (const fn of this.handlers) fn(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (ev.code === SESSION_ENDED) {
        // Reconnecting would only be refused: show the login page instead.
        this.stop();
        sessionEnded();
        return;
      }
      this.status('offline');
      this.timer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 10_000);
    };
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  watch(callId) {
    this.watched.add(callId);
    this.send({ op: 'watch', callId });
  }

  unwatch(callId) {
    this.watched.delete(callId);
    this.send({ op: 'unwatch', callId });
  }
}
