// One read-pool worker: a read-only connection to the store's file (WAL lets it read while the
// main connection writes) and the named tasks of a tasks module (src/store/reads by default).
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { ReadTask } from './reads/index.js';

export interface ReadWorkerData {
  path: string;
  /** URL of the module exporting `READS`. */
  tasks: string;
}

export interface ReadRequest {
  name: string;
  args: unknown;
}

const data = workerData as ReadWorkerData;
const db = new Database(data.path, { readonly: true, fileMustExist: true });
const { READS } = (await import(data.tasks)) as { READS: Record<string, ReadTask> };

export default function run(req: ReadRequest): unknown {
  const task = READS[req.name];
  if (!task) throw Object.assign(new Error(`no read task named ${req.name}`), { code: 'EARSHOT_ERR_NOT_FOUND' });
  return task(db, req.args);
}
