// Generates the day/week/month reports a few minutes after each period ends (UTC): daily at
// 00:05 for the day before, Mondays for the week before, the 1st for the month before. At start
// it catches up on the latest finished period of each kind if the appliance was down then.
import type { Logger } from 'pino';
import { PERIODS, periodStart, prevStart } from './build.js';
import type { ReportLang } from './labels.js';
import { createReport, hasScheduled, type ReportMeta } from './repo.js';
import type { ReportsRepo } from '../../store/repos/reports.js';

export interface ReportSchedulerDeps {
  store: { repos: { reports: ReportsRepo } };
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
  runDue(now?: number): ReportMeta[];
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

  function runDue(now = clock()): ReportMeta[] {
    const made: ReportMeta[] = [];
    for (const period of PERIODS) {
      const current = periodStart(period, now);
      if (now < current + delay) continue; // the period before has only just ended: wait for late writes
      const start = prevStart(period, current);
      if (hasScheduled(deps.store.repos.reports, period, start)) continue;
      try {
        made.push(createReport(deps.store.repos.reports, { period, at: start, createdBy: 'scheduler', lang: deps.lang, now, consoleUrl: deps.consoleUrl }));
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
    timer = setTimeout(() => {
      runDue();
      arm();
    }, Math.max(1000, nextRun() - clock()));
    timer.unref();
  }

  const first = setTimeout(() => {
    runDue();
    arm();
  }, 0);
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
