// Circuit breaker: after `threshold` consecutive failures the circuit opens and calls fail at once
// (no waiting on a dead server); after `cooldownMs` one probe is let through (half-open): its
// success closes the circuit, its failure opens it again for another cooldown.
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  threshold?: number;
  cooldownMs?: number;
  now?: () => number;
  onChange?: (s: BreakerState) => void;
}

export class Breaker {
  #state: BreakerState = 'closed';
  #fails = 0;
  #openedAt = 0;
  #probing = false;
  readonly threshold: number;
  readonly cooldownMs: number;
  readonly #now: () => number;

  constructor(private readonly o: BreakerOptions = {}) {
    this.threshold = o.threshold ?? 5;
    this.cooldownMs = o.cooldownMs ?? 10_000;
    this.#now = o.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.cooldownMs) this.#set('half-open');
    return this.#state;
  }

  /** Whether a request may go now; in half-open, only one (the probe) at a time. */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.#probing) return false;
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#fails = 0;
    this.#probing = false;
    if (this.#state !== 'closed') this.#set('closed');
  }

  failure(): void {
    this.#probing = false;
    this.#fails++;
    if (this.#state === 'half-open' || this.#fails >= this.threshold) {
      this.#openedAt = this.#now();
      this.#set('open');
    }
  }

  #set(s: BreakerState): void {
    if (s === this.#state) return;
    this.#state = s;
    this.o.onChange?.(s);
  }
}
