import type Database from 'better-sqlite3';
import { callSums, mean } from './reports/call-sums.js';
import { emotionTotals } from './reports/emotions.js';
import { DashboardRepo, type AlarmFilterKey, type CallFilterKey } from '../store/repos/dashboard.js';
import { ReportsRepo } from '../store/repos/reports.js';
import { UsersRepo } from '../store/repos/users.js';

// Every read the API makes, through the dashboard and reports repositories (src/store/repos):
// here filters become parameters and JSON columns become values.

export interface CallFilter {
  state?: string;
  agent?: string;
  q?: string;
  from?: number;
  to?: number;
  category?: string;
  emotion?: string;
  /** voice | chat | wechat | app | email | sms (calls.channel, migration 008). */
  channel?: string;
  limit: number;
  offset: number;
}

export interface AlarmFilter {
  state?: string;
  severity?: string;
  agent?: string;
  rule?: string;
  callId?: string;
  /** The channel of the alarm's call. */
  channel?: string;
  limit: number;
}

type Row = Record<string, unknown>;

const DAY = 86_400_000;
/**
 * Text search reads every utterance of the calls it looks at (a substring match: no index helps).
 * Without `from` it covers the TEXT_SEARCH_DAYS days before `to` (or now): at 1M calls a day of
 * transcripts is searched in ~0.2 s, a week in ~1 s, so a wider search names its range. The console
 * says which days a search covered.
 */
export const TEXT_SEARCH_DAYS = 1;

const json = (v: unknown) => (typeof v === 'string' && v ? (JSON.parse(v) as unknown) : null);
const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
const nul = <T>(v: T | undefined) => (v === undefined || v === '' ? null : v);

/** Below this many hits among all stored events a category is "rare" (see listCalls); tests lower it. */
const RARE_CATEGORY = 5000;
const ALARM_KEYS: readonly AlarmFilterKey[] = ['state', 'severity', 'agent', 'rule', 'callId', 'channel'];

/** The store's repositories (`store.repos`), or a connection to take them from (tests, benches). */
export type QuerySource = { dashboard: DashboardRepo; reports: ReportsRepo; users: UsersRepo } | Database.Database;

export function createQueries(src: QuerySource, opts: { clock?: () => number; rareCategory?: number } = {}) {
  const now = opts.clock ?? Date.now;
  const rareBelow = opts.rareCategory ?? RARE_CATEGORY;
  const { dashboard, reports, users } = 'dashboard' in src ? src : { dashboard: DashboardRepo.for(src), reports: ReportsRepo.for(src), users: UsersRepo.for(src) };

  const alarmOut = (r: Row) => ({ ...r, evidence: json(r.evidence) });

  return {
    /** Newest first. A text search (`q`) without `from` covers TEXT_SEARCH_DAYS days (see textSearchFrom). */
    listCalls(f: CallFilter) {
      const params: Record<CallFilterKey, unknown> = {
        state: nul(f.state),
        agent: nul(f.agent),
        q: f.q ? likePattern(f.q) : null,
        from: nul(f.q ? textSearchFrom(f, now()) : f.from),
        to: nul(f.to),
        category: nul(f.category),
        emotion: nul(f.emotion),
        channel: nul(f.channel),
      };
      const set = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null));
      const rare = typeof set.category === 'string' && dashboard.categoryCalls(set.category, rareBelow) < rareBelow;
      return dashboard.listCalls(set, { limit: f.limit, offset: f.offset }, rare);
    },

    /** The whole record of one call, or undefined. */
    callDetail(id: string) {
      const d = dashboard.call(id);
      if (!d) return undefined;
      return {
        ...d.call,
        summary: json(d.call.summary),
        legs: d.legs.map((l) => ({ ...l, stats: json(l.stats) })),
        utterances: d.utterances.map((u) => ({ ...u, categories: json(u.categories) ?? [] })),
        events: d.events.map((e) => ({ ...e, data: json(e.data) })),
        alarms: d.alarms.map(alarmOut),
      };
    },

    listAlarms(f: AlarmFilter) {
      const set = Object.fromEntries(ALARM_KEYS.map((k) => [k, nul(f[k])] as const).filter(([, v]) => v !== null));
      return dashboard.listAlarms(set, f.limit).map(alarmOut);
    },

    alarm(id: number) {
      const r = dashboard.alarm(id);
      return r ? alarmOut(r) : undefined;
    },

    /** The dashboard's summary of the calls started in the range; of one channel's conversations when `channel` is set. */
    overview(q: { from: number; to: number; channel?: string }) {
      const range = { from: q.from, to: q.to };
      const channel = nul(q.channel) ?? undefined;
      const n = dashboard.npsCounts(range, channel);
      // One read of the range (whole hours from call_hours) serves the hourly chart and the totals.
      const hours = callSums(reports, range, 'hour', channel);
      const sum = (k: 'calls' | 'dur_sum' | 'dur_n' | 'active') => hours.reduce((n, h) => n + h[k], 0);
      return {
        ...range,
        ...(channel ? { channel } : {}),
        callsPerHour: hours.map((h) => ({ hour: h.key, calls: h.calls, avgDurationMs: mean(h.dur_sum, h.dur_n) })),
        emotions: emotionTotals(reports, range, channel),
        alarms: dashboard.alarmCounts(range, channel),
        nps: n.n ? { n: n.n, score: Math.round((100 * ((n.promoters ?? 0) - (n.detractors ?? 0))) / n.n) } : null,
        totals: { calls: sum('calls'), avgDurationMs: mean(sum('dur_sum'), sum('dur_n')), active: hours.length ? sum('active') : null },
      };
    },

    rollups(f: { bucket: string; dim: string; dimValue?: string; from: number; to: number }) {
      return dashboard.rollups({ ...f, dimValue: nul(f.dimValue) }).map((r) => ({ ...r, metrics: json(r.metrics) }));
    },

    audit(f: { actor?: string; action?: string; from?: number; to?: number; limit: number }) {
      return users.audit(f);
    },
  };
}
/** Where a text search starts: `from` when given, else TEXT_SEARCH_DAYS days before `to` (or now). */
export function textSearchFrom(f: { from?: number; to?: number }, now: number): number {
  return f.from ?? (f.to ?? now) - TEXT_SEARCH_DAYS * DAY;
}

export type Queries = ReturnType<typeof createQueries>;
