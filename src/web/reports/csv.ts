// A report as CSV: one row per figure (section, key, metric, value, previous), for spreadsheets.
import { stringify } from 'csv-stringify/sync';
import type { ReportData } from './build.js';

type Cell = string | number | null;

export function renderCsv(r: ReportData): string {
  const rows: Cell[][] = [];
  const add = (section: string, key: string, metric: string, value: Cell, prev: Cell = null) => rows.push([section, key, metric, value, prev]);
  const round = (x: number | null, d = 3) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);
  add('report', r.period, 'start', new Date(r.start).toISOString());
  add('report', r.period, 'end', new Date(r.end).toISOString());
  for (const [k, v] of Object.entries(r.totals)) add('totals', 'site', k, round(v.now), round(v.prev));
  for (const c of r.channels) {
    add('channel', c.channel, 'calls', c.calls, c.prevCalls);
    add('channel', c.channel, 'nps_responses', c.responses);
    add('channel', c.channel, 'nps', c.nps);
  }
  for (const c of r.categories) {
    add('category', c.id, 'calls', c.calls, c.prevCalls);
    add('category', c.id, 'hits', c.hits);
  }
  for (const h of r.hotSpots.times) add('hotspot-time', new Date(h.key as number).toISOString(), 'neg_share', round(h.negShare), null);
  for (const h of r.hotSpots.queues) add('hotspot-queue', String(h.key), 'neg_share', round(h.negShare), null);
  const n = r.nps;
  for (const k of ['nps', 'responses', 'promoters', 'passives', 'detractors'] as const) add('nps', 'site', k, n.now[k], n.prev[k]);
  n.now.histogram.forEach((c, s) => add('nps-score', String(s), 'answers', c, n.prev.histogram[s]));
  for (const d of r.drivers) add('nps-driver', d.driver, 'impact', d.impact, null);
  for (const a of r.alarms) add('alarm', a.rule, 'count', a.count, a.prevCount);
  for (const a of r.coach) {
    add('coach', a.agentId, 'reasons', a.reasons.join(' '));
    add('coach', a.agentId, 'qa_avg', round(a.qaAvg, 1));
    add('coach', a.agentId, 'evidence_calls', a.evidence.map((c) => c.callId).join(' '));
  }
  return stringify(rows, { header: true, columns: ['section', 'key', 'metric', 'value', 'previous'] });
}
