// Worker thread that builds sync batches on its own read-only connection, so an hour of a busy
// site (a few hundred ms of SQLite work) never stalls the main event loop and its live audio.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { buildBatch, type SyncConfig } from './aggregate.js';
import { canonicalJson } from './sign.js';

export interface BuildRequest {
  id: number;
  config: SyncConfig;
  from: number;
  to: number;
}

export type BuildReply = { id: number; text: string; drops: string[] } | { id: number; error: string };

const db = new Database((workerData as { path: string }).path, { readonly: true, fileMustExist: true });

parentPort!.on('message', (req: BuildRequest) => {
  const drops: string[] = [];
  try {
    const batch = buildBatch(db, req.config, req.from, req.to, { onDrop: (r) => drops.push(r) });
    parentPort!.postMessage({ id: req.id, text: canonicalJson(batch), drops } satisfies BuildReply);
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: (err as { code?: string }).code ?? 'build-failed' } satisfies BuildReply);
  }
});
