import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/registry.js';

export type Readiness = () => Record<string, { ok: boolean; detail: string }>;

/** Unauthenticated operational endpoints: liveness, readiness and Prometheus metrics. */
export function healthRoutes(app: FastifyInstance, deps: { readiness: Readiness; metrics: Metrics }): void {
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_req, reply) => {
    let checks: ReturnType<Readiness>;
    try {
      checks = deps.readiness();
    } catch {
      checks = { readiness: { ok: false, detail: 'readiness check failed' } };
    }
    const ready = Object.values(checks).every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
