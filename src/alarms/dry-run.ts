// Dry run of alarm rules: replays the stored utterances and call events (VAD speech segments,
// hold/resume, category hits) of recent calls through the same RuleEngine the live stage runs,
// with the per-call cooldown on the call's own clock, and counts what each rule would have raised.
// Agent-daily rules replay the finished calls day by day. Live-only silence (tick while a quiet
// spell lasts) is judged from the gaps instead, as for imports.
import type Database from 'better-sqlite3';
import type { CallEvent, Utterance } from '../call/types.js';
import { AlarmReplayRepo } from '../store/repos/alarm-replay.js';
import { AgentDaily, negativeSwing } from './agent-daily.js';
import { RuleEngine, validSpan, type Trigger } from './engine.js';
import type { AlarmRule } from './rules.js';

export interface AlarmDryRunHit {
  rule: string;
  callId: string;
  /** The alarm's message (times and counts; never transcript text). */
  text: string;
  /** Call-relative ms of the event that raised it (absent for agent-daily rules). */
  startMs?: number;
}

export interface AlarmDryRun {
  calls: number;
  utterances: number;
  events: number;
  /** Per rule of the file: alarms it would have raised and on how many calls. */
  byRule: Record<string, { hits: number; calls: number }>;
  hits: AlarmDryRunHit[];
  truncated: boolean;
}

export const ALARM_DRY_RUN_LIMITS = { calls: 5000, hits: 500 };
const DAY = 86_400_000;

type Item = { at: number; order: number; u?: Utterance; e?: CallEvent };

/**
 * Runs `rules` (the whole enabled set) over calls started since `since`; reports the rules in `report`.
 * `db` is the store's connection or a read worker's: the rows come through its AlarmReplayRepo.
 */
export function alarmDryRun(db: Database.Database | AlarmReplayRepo, rules: AlarmRule[], report: string[], since: number): AlarmDryRun {
  const wanted = new Set(report);
  const repo = db instanceof AlarmReplayRepo ? db : AlarmReplayRepo.for(db);
  const calls = repo.callsSince(since, ALARM_DRY_RUN_LIMITS.calls + 1);
  const out: AlarmDryRun = {
    calls: Math.min(calls.length, ALARM_DRY_RUN_LIMITS.calls),
    utterances: 0,
    events: 0,
    byRule: Object.fromEntries(report.map((r) => [r, { hits: 0, calls: 0 }])),
    hits: [],
    truncated: calls.length > ALARM_DRY_RUN_LIMITS.calls,
  };
  const counted = new Set<string>(); // rule + call: distinct calls per rule
  const record = (rule: string, callId: string, text: string, startMs?: number) => {
    if (!wanted.has(rule)) return;
    const s = out.byRule[rule];
    s.hits++;
    if (!counted.has(`${rule}\0${callId}`)) s.calls++;
    counted.add(`${rule}\0${callId}`);
    if (out.hits.length >= ALARM_DRY_RUN_LIMITS.hits) return void (out.truncated = true);
    out.hits.push({ rule, callId, text, ...(startMs !== undefined ? { startMs } : {}) });
  };

  // The call's own clock: cooldowns judged on call time, as if the events came in real time.
  let clock = 0;
  let current = '';
  let fired = new Map<string, number>();
  let lastAt = 0;
  const engine = new RuleEngine(rules, (t: Trigger) => {
    const last = fired.get(t.rule.id);
    if (last !== undefined && clock - last < t.rule.cooldownSeconds * 1000) return;
    fired.set(t.rule.id, clock);
    record(t.rule.id, current, t.message, lastAt);
  }, () => clock);
  const daily = new AgentDaily([]);
  daily.setRules(rules);
  const dailyFired = new Set<string>(); // rule + agent + day

  for (const call of calls.slice(0, ALARM_DRY_RUN_LIMITS.calls)) {
    current = call.id;
    fired = new Map();
    clock = call.startedAt;
    engine.start(call.id, false);
    for (const l of repo.legs(call.id)) engine.leg(call.id, l.id, l.role);
    const items: Item[] = [];
    for (const u of repo.utterances(call.id)) items.push({ at: u.endMs, order: 1, u: { ...u, callId: call.id } as Utterance });
    for (const r of repo.events(call.id)) {
      let data: Record<string, unknown> | undefined;
      try {
        data = r.data ? (JSON.parse(r.data) as Record<string, unknown>) : undefined;
      } catch {
        continue; // a damaged row is skipped, as the live stage would ignore it
      }
      items.push({ at: r.tMs, order: 0, e: { callId: call.id, ...(r.legId ? { legId: r.legId } : {}), kind: r.kind, tMs: r.tMs, data } });
    }
    // Events of a moment before the utterance ending then: VAD segments come before their text live.
    items.sort((a, b) => a.at - b.at || a.order - b.order);
    for (const it of items) {
      clock = call.startedAt + it.at;
      lastAt = it.at;
      if (it.u) {
        out.utterances++;
        engine.utterance(it.u, 0);
      } else if (it.e) {
        out.events++;
        const e = it.e;
        if (e.kind !== 'speech') engine.event(e, 0);
        else if (e.legId && validSpan(e.data?.startMs, e.data?.endMs)) engine.speech(call.id, e.legId, e.data?.startMs as number, e.data?.endMs as number, 0);
      }
    }
    const state = engine.end(call.id);
    if (!state || !call.agentId || call.endedAt === null) continue;
    const day = Math.floor(call.endedAt / DAY);
    for (const t of daily.add({ agentId: call.agentId, categories: [...state.categories.keys()], negativeSwing: negativeSwing(state.customerSentiments) }, call.endedAt)) {
      const key = `${t.rule.id}\0${call.agentId}\0${day}`;
      if (dailyFired.has(key)) continue; // once per agent per day, as live
      dailyFired.add(key);
      record(t.rule.id, call.id, t.message);
    }
  }
  return out;
}
