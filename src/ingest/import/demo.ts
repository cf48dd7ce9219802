import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/schema.js';
import { type ImportDeps, importFile } from './index.js';
import { createMemoryLedger } from './ledger.js';
import { demoCalls } from './demo-calls.js';

// The demo loop: a small contact centre. `concurrentCalls` lanes each replay a recording through
// the import path at real time — the bundled demo call (or `demo.file`) and the scenario calls
// rendered with other flite voices (demo-calls.ts: a customer who turns angry, one whose problem
// is solved, one who leaves for a competitor) — as the next agent, queue and caller. A lane starts
// its next call a few seconds after the last one ends (at most `intervalSeconds`), so the
// wallboard always has several calls. Each replay is a new call (fresh external id); its ledger is
// kept in memory, because replays are not imports an operator made and must not fill `imports`.

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

/** Made-up callers: a pool small enough that customers call again (repeat contacts, risk, cases). */
const CALLERS = 40;

export function startDemoLoop(
  deps: Omit<ImportDeps, 'imports'> & Partial<Pick<ImportDeps, 'imports'>>,
  demo: Omit<Config['demo'], 'concurrentCalls' | 'backfillDays'> & Partial<Pick<Config['demo'], 'concurrentCalls'>>,
  opts: { /** Where the scenario calls are rendered (and kept); none = the one recording only. */ renderDir?: string } = {},
): DemoLoop {
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
  const files = [file];
  const again = new Set<NodeJS.Timeout>();
  // Rendered in the background (child processes): lanes play the bundled call until they exist.
  const rendered = opts.renderDir
    ? demoCalls(opts.renderDir, log, ac.signal).then((more) => {
        files.push(...more);
        log.info({ recordings: files.length }, 'demo calls ready');
      })
    : Promise.resolve();
  let n = 0;
  // Each lane replays a recording as the next agent/queue/caller, so the wallboard shows several calls at once.
  const play = (lane: number) => {
    if (running[lane] || ac.signal.aborted) return; // this lane's replay is still playing
    n++;
    const party = { agentId: DEMO_AGENTS[(lane + n) % DEMO_AGENTS.length], queue: DEMO_QUEUES[(lane + n) % DEMO_QUEUES.length], callerId: `sip:+1555010${String(n % CALLERS).padStart(4, '0')}@demo` };
    const recording = files[(lane + n) % files.length];
    running[lane] = importFile({ ...deps, imports }, recording, { realtime: true, externalId: `demo-${Date.now()}-${n}`, signal: ac.signal, party })
      .catch((err: unknown) => {
        if (!ac.signal.aborted) log.warn({ err: (err as Error).message }, 'demo replay failed');
      })
      .finally(() => {
        running[lane] = undefined;
        if (ac.signal.aborted) return;
        // The next caller of this lane, a few seconds later (lanes apart, so calls stay at different moments).
        const t = setTimeout(() => {
          again.delete(t);
          play(lane);
        }, Math.min(demo.intervalSeconds, 3 + 2 * lane) * 1000);
        t.unref();
        again.add(t);
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
      for (const t of again) clearTimeout(t);
      clearInterval(timer);
      ac.abort();
      await Promise.all([rendered, ...running.filter((r): r is Promise<unknown> => r !== undefined)]);
    },
  };
}
