// Interval arithmetic on call-relative milliseconds, shared by KPIs and the live alarm rules.

export interface Span {
  start: number;
  end: number;
}

/** Sorted, non-overlapping union of spans; empty and inverted spans are dropped. */
export function union(spans: readonly Span[]): Span[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ start: s.start, end: s.end });
  }
  return out;
}

export function total(spans: readonly Span[]): number {
  return spans.reduce((n, s) => n + (s.end - s.start), 0);
}

/** Intersection of two unions (each sorted and non-overlapping). */
export function intersect(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i].start, b[j].start);
    const end = Math.min(a[i].end, b[j].end);
    if (end > start) out.push({ start, end });
    if (a[i].end < b[j].end) i++;
    else j++;
  }
  return out;
}

/** The gaps of `covered` inside [from, to]. */
export function gaps(covered: readonly Span[], from: number, to: number): Span[] {
  const out: Span[] = [];
  let cursor = from;
  for (const s of covered) {
    if (s.end <= cursor) continue;
    if (s.start >= to) break;
    if (s.start > cursor) out.push({ start: cursor, end: Math.min(s.start, to) });
    cursor = Math.max(cursor, s.end);
  }
  if (cursor < to) out.push({ start: cursor, end: to });
  return out;
}

/** Spans clipped to [from, to]. */
export function clip(spans: readonly Span[], from: number, to: number): Span[] {
  return spans.map((s) => ({ start: Math.max(s.start, from), end: Math.min(s.end, to) })).filter((s) => s.end > s.start);
}

/**
 * Interruptions by the party speaking `b` against the party speaking `a`: b starts while a is
 * speaking (after a's own start), a stops within `yieldMs` of b's start, and b goes on past
 * a's end, i.e. b took the floor. Backchannels ("mm-hm") inside a's turn do not count because
 * a keeps talking; talking over someone who does not give way is overtalk, not an interruption.
 */
export function interruptions(a: readonly Span[], b: readonly Span[], yieldMs: number): number {
  let n = 0;
  for (const sb of b) {
    const sa = a.find((s) => s.start < sb.start && sb.start < s.end);
    if (sa && sa.end - sb.start <= yieldMs && sb.end > sa.end) n++;
  }
  return n;
}

/**
 * Adds a span to a sorted union in place (merging neighbours). Spans mostly arrive in time order,
 * so the search starts from the end.
 */
export function insert(list: Span[], s: Span): void {
  if (s.end <= s.start) return;
  let i = list.length;
  while (i > 0 && list[i - 1].start > s.start) i--;
  list.splice(i, 0, { start: s.start, end: s.end });
  if (i > 0 && list[i - 1].end >= list[i].start) {
    list[i - 1].end = Math.max(list[i - 1].end, list[i].end);
    list.splice(i, 1);
    i--;
  }
  while (i + 1 < list.length && list[i].end >= list[i + 1].start) {
    list[i].end = Math.max(list[i].end, list[i + 1].end);
    list.splice(i + 1, 1);
  }
}
