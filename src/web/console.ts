import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const here = dirname(fileURLToPath(import.meta.url));

/** The console's files: next to this module, or in src/ when running the compiled build without copied assets. */
export function publicDir(): string {
  const local = join(here, 'public');
  if (existsSync(join(local, 'index.html'))) return local;
  return join(here, '..', '..', '..', 'src', 'web', 'public');
}

// No inline script or style, no third-party origin: the console loads only its own files.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Serves the supervisor console at / and chart.js from node_modules (no CDN on an appliance). */
export async function consolePlugin(app: FastifyInstance): Promise<void> {
  // The main entry is dist/chart.cjs; the browser build sits beside it.
  const chartDir = dirname(createRequire(import.meta.url).resolve('chart.js'));
  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  await app.register(fastifyStatic, { root: publicDir(), prefix: '/', index: 'index.html', wildcard: true });
  await app.register(fastifyStatic, { root: chartDir, prefix: '/vendor/chart/', decorateReply: false, allowedPath: (p) => p.startsWith('/chart.umd') });
}
