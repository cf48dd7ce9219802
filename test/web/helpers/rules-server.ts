// The rules API over the shipped packs (config/rules, config/alarms, read only) on a real store,
// with the three roles logged in: shared by the rules-api and site-terms tests.
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { pino } from 'pino';
import type { RuleSource } from '../../../src/analysis/index.js';
import { validateConfig } from '../../../src/config/index.js';
import type { Metrics } from '../../../src/metrics/registry.js';
import type { Store } from '../../../src/store/types.js';
import { ruleRoutes } from '../../../src/web/routes/rules.js';
import { login, startServer } from './server.js';

export const RULES = fileURLToPath(new URL('../../../config/rules/', import.meta.url));
export const ALARMS = fileURLToPath(new URL('../../../config/alarms/', import.meta.url));

/** `reads`: the store has its read pool, so dry runs run in a worker thread as in `serve`. */
export async function startRulesServer(t: Test, opts: { reads?: boolean } = {}) {
  const reloads: RuleSource[][] = [];
  // startServer opens the store before plugins load but returns it after: the routes read it per request.
  const late: { store?: Store; metrics?: Metrics } = {};
  const store = { get repos() { return late.store!.repos; }, get reads() { return late.store!.reads; }, audit: (...a: Parameters<Store['audit']>) => late.store!.audit(...a) };
  const metrics: Metrics = { get registry() { return late.metrics!.registry; }, badInput: (p, r) => late.metrics!.badInput(p, r) };
  const config = validateConfig({ analysis: { rulesDir: RULES, serModel: '' }, alarms: { rulesDir: ALARMS } });
  const s = await startServer(t, {
    listen: false,
    reads: opts.reads,
    extend: (app) => void app.register(ruleRoutes({ config, store, metrics, log: pino({ level: 'silent' }), onRulesChanged: (x) => reloads.push(x) }), { prefix: '/api/v1' }),
  });
  late.store = s.store;
  late.metrics = s.metrics;
  const who = { viewer: await login(s.app, 'viewer'), supervisor: await login(s.app, 'supervisor'), admin: await login(s.app, 'admin') };
  const req = (as: keyof typeof who, method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
    s.app.inject({ method, url: `/api/v1${url}`, headers: { cookie: who[as].cookie, 'x-csrf-token': who[as].csrf }, payload });
  return { s, reloads, req };
}
