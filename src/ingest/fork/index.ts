import type {} from '@fastify/websocket'; // route option `websocket: true` typing
import type { FastifyPluginAsync } from 'fastify';
import { ariHandler } from './ari.js';
import { audioHookHandler } from './audiohook.js';
import { ForkGate } from './gate.js';
import { l16ForkHandler } from './l16-fork.js';
import { CallGroups, type ForkDeps } from './session.js';

export { createAudioSocketServer, type AudioSocketOptions, type AudioSocketServer } from './audiosocket.js';
export { ForkGate } from './gate.js';
export { resolveIngestKeys, sha256, type IngestKey } from './keys.js';
export type { ForkDeps } from './session.js';

/**
 * The websocket audio-fork endpoints, as a Fastify plugin. Register it on an app that already
 * has @fastify/websocket: `app.register(forkRoutes(deps, gate))`. Every route checks the API key
 * and the connection caps before the upgrade (HTTP 401/403/503), bounds frame sizes, rates and
 * idle time, and ends its call when the socket closes.
 */
export function forkRoutes(deps: ForkDeps, gate: ForkGate = new ForkGate(deps.config, deps.metrics)): FastifyPluginAsync {
  return async (app) => {
    if (!deps.config.forks.enabled) return;
    const ariGroups = new CallGroups(deps, 'ari');
    app.get('/ingest/audio-fork', { websocket: true, preValidation: gate.guard('audio-fork', 'ws-fork') }, l16ForkHandler(deps, 'drachtio', gate));
    app.get('/ingest/jambonz', { websocket: true, preValidation: gate.guard('jambonz', 'ws-fork') }, l16ForkHandler(deps, 'jambonz', gate));
    app.get('/ingest/audiohook', { websocket: true, preValidation: gate.guard('audiohook', 'audiohook') }, audioHookHandler(deps, gate));
    app.get('/ingest/ari', { websocket: true, preValidation: gate.guard('ari', 'ari') }, ariHandler(deps, ariGroups, gate));
  };
}
