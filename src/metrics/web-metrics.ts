import { Counter, Gauge } from 'prom-client';
import type { Metrics } from './registry.js';

/** Metrics of the web server and live websocket. Labels: bounded enums and route patterns only. */
export function createWebMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  return {
    wsClients: new Gauge({ name: 'earshot_ws_clients', help: 'Connected live-console websocket clients', registers }),
    wsSent: new Counter({
      name: 'earshot_ws_messages_sent_total',
      help: 'Live messages sent to console clients, by message type',
      labelNames: ['type'] as const,
      registers,
    }),
    wsDropped: new Counter({
      name: 'earshot_ws_messages_dropped_total',
      help: 'Live messages not sent because the client had fallen too far behind (it is then dropped)',
      registers,
    }),
    wsClientsDropped: new Counter({
      name: 'earshot_ws_clients_dropped_total',
      help: 'Live clients disconnected by the server, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    wsResyncs: new Counter({
      name: 'earshot_ws_resyncs_total',
      help: 'Reconnects whose missed messages had left the replay buffer (client told to refetch)',
      registers,
    }),
    logins: new Counter({
      name: 'earshot_auth_logins_total',
      help: 'Login attempts by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    httpRequests: new Counter({
      name: 'earshot_http_requests_total',
      help: 'HTTP requests by route pattern, method and status class',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
  };
}

export type WebMetrics = ReturnType<typeof createWebMetrics>;
