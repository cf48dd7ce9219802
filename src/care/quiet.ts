import { EarshotError } from '../errors.js';

/** Throws EARSHOT_ERR_CONFIG for a time zone the runtime does not know. */
export function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
  } catch {
    throw new EarshotError('EARSHOT_ERR_CONFIG', `surveys.timeZone: unknown time zone "${tz}"`);
  }
}

/** Hour (0-23) and minute of `at` in `tz`. */
function localTime(at: number, tz: string): { h: number; m: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { h: get('hour'), m: get('minute') };
}

/**
 * When a request made at `at` may be sent: `at` itself outside quiet hours, else the next full
 * hour `to` in site time. Quiet hours run from `from` to `to` o'clock and may span midnight;
 * from = to means none. Walks minute by minute to the end of the quiet span (at most a day),
 * which is right across DST changes without a time-zone library.
 */
export function sendTime(at: number, tz: string, from: number, to: number): number {
  if (from === to) return at;
  const quiet = (t: number) => {
    const { h } = localTime(t, tz);
    return from < to ? h >= from && h < to : h >= from || h < to;
  };
  if (!quiet(at)) return at;
  // Jump to the next whole minute, then in 15-minute steps, then back to the exact hour boundary.
  let t = Math.ceil(at / 60_000) * 60_000;
  while (quiet(t)) t += 15 * 60_000;
  while (!quiet(t - 60_000) && t - 60_000 > at) t -= 60_000;
  return t;
}
