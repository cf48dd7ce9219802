// The dashboard's insight panels (`GET /api/v1/insights`) from the hour tables: counts and shares
// only, no text or customer hashes. One function for the loop and the read pool alike.
import type { ReportsRepo } from '../../store/repos/reports.js';
import * as fig from './figures.js';

const DAY = 86_400_000;

export interface InsightArgs {
  from: number;
  to: number;
  channel?: string;
}

export function insightPanels(reports: ReportsRepo, a: InsightArgs) {
  const r = { from: a.from, to: a.to };
  const ch = a.channel;
  const emotionBucket = a.to - a.from <= 2 * DAY ? 3_600_000 : DAY;
  return {
    nps: fig.nps(reports, r, ch),
    npsTrend: fig.npsTrend(reports, r, DAY, ch),
    drivers: fig.npsDrivers(reports, r, 2, ch).slice(0, 10),
    emotionBucketMs: emotionBucket,
    emotionMap: fig.emotionMap(reports, r, emotionBucket, ch),
    categoryHeat: fig.categoryHeat(reports, r, DAY, ch),
    alarmsByRule: fig.alarmsByRule(reports, r, ch),
    agents: fig.agents(reports, r, ch),
  };
}

export type InsightPanels = ReturnType<typeof insightPanels>;
