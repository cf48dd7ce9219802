// GET /api/v1/cluster/nodes (behind the console's session guard) and per-node metrics on core.
import type { FastifyPluginAsync } from 'fastify';
import { Gauge } from 'prom-client';
import type { Metrics } from '../metrics/registry.js';
import type { Membership } from './members.js';

export function clusterRoutes(members: Membership, self: string): FastifyPluginAsync {
  return async (app) => {
    app.get('/cluster/nodes', async () => ({ self, nodes: members.nodes(), speech: members.speech() }));
  };
}

/** Gauges per announced node (node names are operator-chosen host names, not PII). */
export function clusterMetrics(metrics: Metrics, members: Membership): void {
  new Gauge({
    name: 'earshot_cluster_node_load',
    help: 'Legs (speech) or calls (ingest) each live node reports',
    labelNames: ['node', 'role'] as const,
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const n of members.nodes()) for (const r of n.roles) this.set({ node: n.node, role: r }, n.load);
    },
  });
  new Gauge({
    name: 'earshot_cluster_node_capacity',
    help: 'Legs each live speech node can decode at once',
    labelNames: ['node'] as const,
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const n of members.nodes()) if (n.roles.includes('speech')) this.set({ node: n.node }, n.capacity);
    },
  });
  new Gauge({
    name: 'earshot_cluster_nodes',
    help: 'Live nodes of the site by role',
    labelNames: ['role'] as const,
    registers: [metrics.registry],
    collect() {
      this.reset();
      const by = new Map<string, number>();
      for (const n of members.nodes()) for (const r of n.roles) by.set(r, (by.get(r) ?? 0) + 1);
      for (const [role, v] of by) this.set({ role }, v);
    },
  });
}
