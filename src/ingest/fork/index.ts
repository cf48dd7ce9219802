import type {} from '@fastify/websocket'; // route option `websocket: true` typing
import type { FastifyPluginAsync } from 'fastify';
import { ariHandler } from './ari.js';
import { audioHookHandler } from './audiohook.js';
import { requireApiKey } from './auth.js';
import { l16ForkHandler } from './l16-fork.js';
import { CallGroups, type ForkDeps } from './session.js';

export { createAudioSocketServer, type AudioSocketOptions, type AudioSocketServer } from './audiosocket.js';
export type { ForkDeps } from './session.js';

/**
 * The websocket audio-fork endpoints, as a Fastify plugin. Register it on an app that already
 * has @fastify/websocket: `app.register(forkRoutes(deps))`. Every route checks the API key before
 * the upgrade (HTTP 401), bounds frame sizes and rates, and ends its call when the socket closes.
 */
export function forkRoutes(deps: ForkDeps): FastifyPluginAsync {
  return async (app) => {
    if (!deps.config.forks.enabled) return;
    const { config, metrics } = deps;
    const ariGroups = new CallGroups(deps, 'ari');
    app.get('/ingest/audio-fork', { websocket: true, preValidation: requireApiKey(config, metrics, 'ws-fork') }, l16ForkHandler(deps, 'drachtio'));
    app.get('/ingest/jambonz', { websocket: true, preValidation: requireApiKey(config, metrics, 'ws-fork') }, l16ForkHandler(deps, 'jambonz'));
    app.get('/ingest/audiohook', { websocket: true, preValidation: requireApiKey(config, metrics, 'audiohook', true) }, audioHookHandler(deps));
    app.get('/ingest/ari', { websocket: true, preValidation: requireApiKey(config, metrics, 'ari') }, ariHandler(deps, ariGroups));
  };
}
