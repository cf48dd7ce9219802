import { Worker } from 'node:worker_threads';
import type { Store } from '../store/types.js';
import { buildBatch, type SyncConfig } from './aggregate.js';
import type { BuildReply, BuildRequest } from './build-worker.js';
import type { SyncBatch } from './payload.js';
import { canonicalJson } from './sign.js';

export interface BuiltBatch {
  batch: SyncBatch;
  /** Canonical JSON: what is stored in the outbox and sent. */
  text: string;
  drops: string[];
}

export interface BatchBuilder {
  build(config: SyncConfig, from: number, to: number): Promise<BuiltBatch>;
  /** Ends the worker, if one was started; the next build starts a new one. */
  release(): Promise<void>;
}

function workerUrl(): URL {
  // Under a TypeScript loader (tap) this module is .ts and so is its worker.
  return new URL(import.meta.url.endsWith('.ts') ? './build-worker.ts' : './build-worker.js', import.meta.url);
}

/**
 * Builds batches in a worker thread reading the database file, or inline when there is no file
 * (an in-memory database) or a test supplies its own noise source.
 */
export function createBatchBuilder(store: Pick<Store, 'repos' | 'path'>, opts: { random?: () => number; inline?: boolean } = {}): BatchBuilder {
  if (opts.inline || opts.random || !store.path || store.path === ':memory:') {
    return {
      async build(config, from, to) {
        const drops: string[] = [];
        const batch = buildBatch(store.repos.syncBatch, config, from, to, { random: opts.random, onDrop: (r) => drops.push(r) });
        return { batch, text: canonicalJson(batch), drops };
      },
      async release() {},
    };
  }

  let worker: Worker | undefined;
  let seq = 0;
  const waiting = new Map<number, { ok: (r: BuildReply) => void; fail: (e: Error) => void }>();
  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.fail(err);
    waiting.clear();
  };

  function start(): Worker {
    const w = new Worker(workerUrl(), { workerData: { path: store.path } });
    w.on('message', (r: BuildReply) => {
      waiting.get(r.id)?.ok(r);
      waiting.delete(r.id);
    });
    w.on('error', (err) => failAll(Object.assign(new Error('sync build worker failed'), { code: 'EARSHOT_SYNC_WORKER', cause: err })));
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      failAll(Object.assign(new Error('sync build worker exited'), { code: 'EARSHOT_SYNC_WORKER' }));
    });
    return w;
  }

  return {
    async build(config, from, to) {
      worker ??= start();
      const id = ++seq;
      const reply = await new Promise<BuildReply>((ok, fail) => {
        waiting.set(id, { ok, fail });
        worker!.postMessage({ id, config: { site: config.site, sync: config.sync }, from, to } satisfies BuildRequest);
      });
      if ('error' in reply) throw Object.assign(new Error(`building the sync batch failed (${reply.error})`), { code: reply.error });
      return { batch: JSON.parse(reply.text) as SyncBatch, text: reply.text, drops: reply.drops };
    },
    async release() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
