/**
 * Token bucket on bytes (or messages). Forks send audio in real time; a sender pushing much
 * faster is broken or hostile, and unbounded input would starve every other call's recognition.
 * Senders that buffered through a network stall may burst: `burstSeconds` of credit allows it.
 */
export class RateGuard {
  #tokens: number;
  #last = Date.now();

  constructor(
    private perSecond: number,
    private readonly burstSeconds = 5,
  ) {
    this.#tokens = perSecond * burstSeconds;
  }

  /** Re-rate once the format is known (credit carries over, capped to the new burst). */
  setRate(perSecond: number): void {
    this.perSecond = perSecond;
    this.#tokens = Math.min(this.#tokens, perSecond * this.burstSeconds);
  }

  take(n: number): boolean {
    const now = Date.now();
    this.#tokens = Math.min(this.perSecond * this.burstSeconds, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }
}

/** Allowed audio rate relative to real time. */
export const REALTIME_FACTOR = 4;

/** Text/control messages per second allowed on a fork connection (pings, updates, DTMF). */
export const TEXT_PER_SECOND = 20;
