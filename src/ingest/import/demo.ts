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

/** The demo contact centre's people: each lane plays as one agent in one queue. */
export const DEMO_AGENTS = ['agent-ann', 'agent-bo', 'agent-chen', 'agent-dev', 'agent-eli', 'agent-fay'];
export const DEMO_QUEUES = ['billing', 'support', 'sales'];

export function startDemoLoop(deps: Omit<ImportDeps, 'imports'> & Partial<Pick<ImportDeps, 'imports'>>, demo: Omit<Config['demo'], 'concurrentCalls' | 'backfillDays'> & Partial<Pick<Config['demo'], 'concurrentCalls'>>): DemoLoop {
  const file = demo.file || bundledDemoFile();
  const log = deps.log.child({ stage: 'demo' });
  if (!file || !existsSync(file)) {
    log.warn('demo call file not found; demo loop off');
    return { stop: async () => {} };
  }
  const ac = new AbortController();
  const imports = createMemoryLedger();
  const lanes = Math.max(1, demo.concurrentCalls ?? 1);
  const running: (Promise<unknown> | undefined)[] = Array.from({ length: lanes }, () => undefined);
  let n = 0;
  // Each lane replays the call as the next agent/queue/caller, so the wallboard shows several calls at once.
  const play = (lane: number) => {
    if (running[lane] || ac.signal.aborted) return; // this lane's replay is still playing
    n++;
    const party = { agentId: DEMO_AGENTS[(lane + n) % DEMO_AGENTS.length], queue: DEMO_QUEUES[(lane + n) % DEMO_QUEUES.length], callerId: `sip:+1555010${String(n % 1000).padStart(4, '0')}@demo` };
    running[lane] = importFile({ ...deps, imports }, file, { realtime: true, externalId: `demo-${Date.now()}-${n}`, signal: ac.signal, party })
      .catch((err: unknown) => {
        if (!ac.signal.aborted) log.warn({ err: (err as Error).message }, 'demo replay failed');
      })
      .finally(() => {
        running[lane] = undefined;
      });
  };
  const tick = () => {
    for (let i = 0; i < lanes; i++) play(i);
  };
  // Lanes start a few seconds apart so the calls are at different moments.
  const starts = Array.from({ length: lanes }, (_, i) => setTimeout(() => play(i), i * 4000).unref());
  const timer = setInterval(tick, demo.intervalSeconds * 1000);
  timer.unref();
  log.info({ intervalSeconds: demo.intervalSeconds, concurrentCalls: lanes }, 'demo loop started');
  return {
    stop: async () => {
      for (const s of starts) clearTimeout(s);
      clearInterval(timer);
      ac.abort();
      await Promise.all(running.filter((r): r is Promise<unknown> => r !== undefined));
    },
  };
}
