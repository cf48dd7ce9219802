// One read-pool worker: a read-only connection to the store's file (WAL lets it read while the
// main connection writes) and the named tasks of a tasks module (src/store/reads by default).
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { ReadTask } from './reads/index.js';

export interface ReadWorkerData {
  path: string;
  /** URLs of the modules exporting `READS` (the store's own, then the stages' the composition root adds). */
  tasks: string[];
}

export interface ReadRequest {
  name: string;
  args: unknown;
}

const data = workerData as ReadWorkerData;
const db = new Database(data.path, { readonly: true, fileMustExist: true });
const READS: Record<string, ReadTask> = {};
for (const url of data.tasks) Object.assign(READS, ((await import(url)) as { READS: Record<string, ReadTask> }).READS);

export default function run(req: ReadRequest): unknown {
  const task = READS[req.name];
  if (!task) throw Object.assign(new Error(`no read task named ${req.name}`), { code: 'EARSHOT_ERR_NOT_FOUND' });
  return task(db, req.args);
}
