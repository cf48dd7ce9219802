// Generates the day/week/month reports a few minutes after each period ends (UTC): daily at
// 00:05 for the day before, Mondays for the week before, the 1st for the month before. At start
// it catches up on the latest finished period of each kind if the appliance was down then.
import type { Logger } from 'pino';
import { PERIODS, periodStart, prevStart } from './build.js';
import type { ReportLang } from './labels.js';
import { createReportOffLoop, hasScheduled, type ReportMeta } from './repo.js';
import type { ReadPool } from '../../store/read-pool.js';
import type { ReportsRepo } from '../../store/repos/reports.js';

export interface ReportSchedulerDeps {
  /** With `reads` (serve), the figures are read in the read pool. */
  store: { repos: { reports: ReportsRepo }; reads?: ReadPool };
  log: Logger;
  clock?: () => number;
  lang?: ReportLang;
  /** Prefix of call links in reports (config.http.publicUrl); default: links relative to the console. */
  consoleUrl?: string;
  /** Delay after midnight UTC; default 5 minutes. */
  delayMs?: number;
}

export interface ReportScheduler {
  /** Generates every finished period's report not yet generated; returns the new ones. */
  runDue(now?: number): Promise<ReportMeta[]>;
  /** When the timer fires next (epoch ms). */
  nextRun(): number;
  close(): void;
}

const DAY = 86_400_000;

export function createReportScheduler(deps: ReportSchedulerDeps): ReportScheduler {
  const clock = deps.clock ?? Date.now;
  const delay = deps.delayMs ?? 5 * 60_000;
  const log = deps.log.child({ mod: 'reports' });
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  // One run at a time: a timer firing while a catch-up run still reads must not make a report twice.
  let chain: Promise<unknown> = Promise.resolve();
  function runDue(now = clock()): Promise<ReportMeta[]> {
    const run = chain.then(() => (closed ? [] : generate(now)));
    chain = run.catch(() => undefined);
    return run;
  }
  const scheduled = () =>
    void runDue()
      .catch((err: unknown) => log.error({ code: (err as { code?: string }).code }, 'report run failed'))
      .finally(arm);

  async function generate(now: number): Promise<ReportMeta[]> {
    const made: ReportMeta[] = [];
    for (const period of PERIODS) {
      const current = periodStart(period, now);
      if (now < current + delay) continue; // the period before has only just ended: wait for late writes
      const start = prevStart(period, current);
      if (hasScheduled(deps.store.repos.reports, period, start)) continue;
      try {
        made.push(await createReportOffLoop(deps.store, { period, at: start, createdBy: 'scheduler', lang: deps.lang, now, consoleUrl: deps.consoleUrl }));
      } catch (err) {
        log.error({ code: (err as { code?: string }).code, period }, 'report generation failed');
      }
    }
    if (made.length) log.info({ reports: made.map((r) => r.period) }, 'reports generated');
    return made;
  }

  const nextRun = () => {
    const now = clock();
    const today = periodStart('day', now) + delay;
    return now < today ? today : today + DAY;
  };

  function arm() {
    if (closed) return;
    // Re-armed after each run so a clock change or a long run never drifts the schedule.
    timer = setTimeout(scheduled, Math.max(1000, nextRun() - clock()));
    timer.unref();
  }

  const first = setTimeout(scheduled, 0);
  first.unref();

  return {
    runDue,
    nextRun,
    close() {
      closed = true;
      clearTimeout(first);
      if (timer) clearTimeout(timer);
    },
  };
}
