// Reads the few numeric KPIs sync reports from `calls.summary` (the kpi stage's CallKpis JSON).
// Tolerant by design: the summary may be missing, older, wrapped in `kpi`/`kpis`, or lack fields;
// what cannot be read is skipped, and what is out of range is dropped and reported.

export interface CallFigures {
  durationMs?: number;
  agentTalkRatio?: number;
  silenceRatio?: number;
  customerSentiment?: number;
  /** Shorter than kpi.minCallSeconds: counted as a call, left out of KPI figures. */
  short: boolean;
}

export type DropReason = 'summary-not-json' | 'summary-out-of-range';

export function readFigures(
  summaryText: string | null,
  columnDurationMs: number | null,
  onDrop: (reason: DropReason) => void,
): CallFigures {
  const out: CallFigures = { short: false };
  let root: Record<string, unknown> = {};
  if (summaryText) {
    try {
      const parsed: unknown = JSON.parse(summaryText);
      if (isObj(parsed)) root = parsed;
      else onDrop('summary-not-json');
    } catch {
      onDrop('summary-not-json');
    }
  }
  const k = isObj(root.kpis) ? root.kpis : isObj(root.kpi) ? root.kpi : root;
  out.short = k.short === true;
  const inRange = (v: number | undefined, lo: number, hi: number): number | undefined => {
    if (v === undefined) return undefined;
    if (v >= lo && v <= hi) return v;
    onDrop('summary-out-of-range');
    return undefined;
  };
  const duration = num(k.durationMs) ?? num(k.duration_ms) ?? num(columnDurationMs);
  out.durationMs = inRange(duration, 0, 7 * 86_400_000);
  out.agentTalkRatio = inRange(num(k.agentTalkRatio) ?? num(k.talkRatio) ?? num(k.talk_ratio), 0, 1);
  const silenceMs = num(k.silenceMs);
  const silence = num(k.silenceRatio) ?? (silenceMs !== undefined && out.durationMs ? silenceMs / out.durationMs : undefined);
  out.silenceRatio = inRange(silence, 0, 1);
  const s = k.sentiment;
  const sentiment = isObj(s) ? num(s.customerAvg) ?? num(s.avg) : num(s) ?? num(k.sentimentAvg);
  out.customerSentiment = inRange(sentiment, -1, 1);
  return out;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
