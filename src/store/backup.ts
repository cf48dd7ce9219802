import { connectionOf } from './store.js';
import type { Store } from './types.js';

/**
 * Online backup with SQLite's backup API: copies the database page by page while the store keeps
 * writing (pages changed during the copy are copied again), so `serve` need not stop. Queued writes
 * are committed first so the copy includes everything accepted so far.
 * `onProgress(donePages, totalPages)` is called between steps and once at the end.
 */
export async function backup(
  store: Store,
  destPath: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ totalPages: number }> {
  store.flush();
  const r = await connectionOf(store).backup(destPath, {
    progress({ totalPages, remainingPages }) {
      onProgress?.(totalPages - remainingPages, totalPages);
      return 100; // pages per step (400 KB at 4 KB pages): keeps each step short for the event loop
    },
  });
  // better-sqlite3 reports before each step, not after the last one: report completion here.
  onProgress?.(r.totalPages, r.totalPages);
  return { totalPages: r.totalPages };
}
