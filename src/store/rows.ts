import type { AlarmState, CallState, Channel, EmotionLabel, EndReason, IngestKind, Role, Severity, Utterance } from '../call/types.js';
import type { AlarmRow, CallEventRow, CallRow, ImportRow, ImportState, LegRow } from './types.js';

// SQLite rows → domain objects. NULL columns become absent keys (not `undefined` values) so a row
// read back compares equal to the object that was written.

type Raw = Record<string, unknown>;

const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : undefined);

/** A row whose columns are the object's fields one to one, snake_case → camelCase (recordings). */
export function camelRow<T>(r: Raw): T {
  const o: Raw = {};
  for (const [k, v] of Object.entries(r)) o[k.replace(/_([a-z])/gu, (_m, c: string) => c.toUpperCase())] = v;
  return o as T;
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function toCall(r: Raw, legs: LegRow[]): CallRow {
  return compact({
    callId: r.id as string,
    ingest: r.ingest as IngestKind,
    externalId: r.external_id as string,
    startedAt: r.started_at as number,
    agentId: opt<string>(r.agent_id),
    queue: opt<string>(r.queue),
    customerHash: opt<string>(r.customer_hash),
    source: opt<string>(r.source),
    // Absent for voice, as on CallInfo: every audio call reads back as it was put in.
    channel: r.channel === 'voice' || r.channel == null ? undefined : (r.channel as Channel),
    state: r.state as CallState,
    endedAt: opt<number>(r.ended_at),
    endReason: opt<EndReason>(r.end_reason),
    durationMs: opt<number>(r.duration_ms),
    summary: json(r.summary),
    legs,
  });
}

export function toLeg(r: Raw): LegRow {
  return compact({
    legId: r.id as string,
    callId: r.call_id as string,
    role: r.role as Role,
    label: r.label as string,
    codec: opt<string>(r.codec),
    stats: json(r.stats) as LegRow['stats'],
  });
}

export function toUtterance(r: Raw): Utterance {
  return {
    id: r.id as number,
    callId: r.call_id as string,
    legId: r.leg_id as string,
    role: r.role as Role,
    seq: r.seq as number,
    text: r.text as string,
    lang: r.lang as Utterance['lang'],
    startMs: r.start_ms as number,
    endMs: r.end_ms as number,
    sentiment: r.sentiment as number,
    emotion: r.emotion as EmotionLabel,
    emotionConfidence: r.emotion_conf as number,
    categories: json(r.categories) as string[],
    redactions: r.redactions as number,
  };
}

export function toCallEvent(r: Raw): CallEventRow {
  return compact({
    id: r.id as number,
    callId: r.call_id as string,
    legId: opt<string>(r.leg_id),
    kind: r.kind as string,
    tMs: r.t_ms as number,
    data: json(r.data) as Record<string, unknown> | undefined,
  });
}

/** Evidence is a JSON list of utterance ids; a damaged cell must not make the alarm unreadable. */
function evidenceOf(v: unknown): AlarmRow['evidence'] {
  try {
    return json(v) as AlarmRow['evidence'];
  } catch {
    return undefined;
  }
}

export function toAlarm(r: Raw): AlarmRow {
  return compact({
    id: r.id as number,
    callId: r.call_id as string,
    agentId: opt<string>(r.agent_id),
    rule: r.rule as string,
    severity: r.severity as Severity,
    state: r.state as AlarmState,
    message: r.message as string,
    raisedAt: r.raised_at as number,
    evidence: evidenceOf(r.evidence),
    ackedBy: opt<string>(r.acked_by),
    ackedAt: opt<number>(r.acked_at),
    ackComment: opt<string>(r.ack_comment),
    resolvedBy: opt<string>(r.resolved_by),
    resolvedAt: opt<number>(r.resolved_at),
    resolveComment: opt<string>(r.resolve_comment),
    escalatedAt: opt<number>(r.escalated_at),
  });
}

export function toImport(r: Raw): ImportRow {
  return compact({
    sha256: r.sha256 as string,
    callId: opt<string>(r.call_id),
    fileName: r.file_name as string,
    state: r.state as ImportState,
    progressMs: r.progress_ms as number,
    startedAt: r.started_at as number,
    finishedAt: opt<number>(r.finished_at),
    error: opt<string>(r.error),
  });
}
