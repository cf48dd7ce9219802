import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/schema.js';
import { type ImportDeps, importFile } from './index.js';
import { createMemoryLedger } from './ledger.js';

// The demo loop: replays the bundled demo call (or `demo.file`) through the import path at real
// time, one call every `intervalSeconds`, so the console is alive on a fresh install. Each replay
// is a new call (fresh external id); its ledger is kept in memory, because replays are not
// imports an operator made and must not fill the `imports` table.

/** The committed demo recording, from the source tree or from dist/. */
export function bundledDemoFile(): string | undefined {
  for (const rel of ['../../../assets/demo/demo-call.wav', '../../../../assets/demo/demo-call.wav']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface DemoLoop {
  stop(): Promise<void>;
}

export function startDemoLoop(deps: Omit<ImportDeps, 'imports'> & Partial<Pick<ImportDeps, 'imports'>>, demo: Config['demo']): DemoLoop {
  const file = demo.file || bundledDemoFile();
  const log = deps.log.child({ stage: 'demo' });
  if (!file || !existsSync(file)) {
    log.warn('demo call file not found; demo loop off');
    return { stop: async () => {} };
  }
  const ac = new AbortController();
  const imports = createMemoryLedger();
  let running: Promise<unknown> | undefined;
  let n = 0;
  const tick = () => {
    if (running) return; // the previous replay is still playing
    n++;
    running = importFile({ ...deps, imports }, file, { realtime: true, externalId: `demo-${Date.now()}-${n}`, signal: ac.signal })
      .catch((err: unknown) => {
        if (!ac.signal.aborted) log.warn({ err: (err as Error).message }, 'demo replay failed');
      })
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, demo.intervalSeconds * 1000);
  timer.unref();
  log.info({ intervalSeconds: demo.intervalSeconds }, 'demo loop started');
  return {
    stop: async () => {
      clearInterval(timer);
      ac.abort();
      await running;
    },
  };
}
