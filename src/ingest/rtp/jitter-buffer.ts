// Reordering jitter buffer with a bounded delay in media time. A packet is released once the
// newest packet is `depth` ms of media ahead of it, so reordering up to that depth is undone and
// the delay never exceeds it; a hole older than that is declared lost. Driving it by media time
// (not timers) keeps it deterministic for pcap replays; `pop(…, true)` covers the stream tail.
// Slots are a ring indexed by extended sequence number: no allocation and no hashing per packet.

export type Admit = 'ok' | 'duplicate' | 'late';

const SIZE = 1024; // > any sane depth in packets; older entries are released before being overwritten
const MASK = SIZE - 1;

export class JitterBuffer<T> {
  readonly #ext = new Float64Array(SIZE).fill(-1); // which ext seq a slot holds (or held)
  readonly #ts = new Float64Array(SIZE);
  readonly #items: (T | undefined)[] = new Array(SIZE).fill(undefined);
  #count = 0;
  #next = -1; // next extended seq to release
  #newest = -1; // highest ext seq buffered
  #newestTs = -Infinity;

  constructor(private depth: number) {}

  get size(): number {
    return this.#count;
  }

  /** Adds a packet (ts in ms of media time); returns why it was refused, if it was. */
  push(ext: number, ts: number, item: T): Admit {
    const i = ext & MASK;
    if (this.#ext[i] === ext) return 'duplicate'; // buffered, or released but remembered
    if (this.#next >= 0 && ext < this.#next) return 'late';
    if (this.#next < 0) this.#next = ext;
    if (ext - this.#next >= SIZE) {
      // A jump beyond the ring (long gap, sender restart): the caller drains first (tooFar).
      if (this.#count > 0) return 'late';
      this.#next = ext;
    }
    this.#ext[i] = ext;
    this.#ts[i] = ts;
    this.#items[i] = item;
    this.#count++;
    if (ext > this.#newest) this.#newest = ext;
    if (ts > this.#newestTs) this.#newestTs = ts;
    return 'ok';
  }

  /** True when a packet sequence jump this large cannot be buffered (caller resets). */
  tooFar(ext: number): boolean {
    return this.#next >= 0 && ext - this.#next >= SIZE;
  }

  /**
   * Releases what is due, in order; `onItem` gets the number of missing packets before each one.
   * With `all`, everything buffered is released (stream end, idle, SSRC change).
   */
  pop(onItem: (item: T, ts: number, lostBefore: number) => void, all = false): void {
    while (this.#count > 0) {
      let e = this.#next;
      // Skip a hole at the head, but only once the packet after it is past the depth.
      while (this.#ext[e & MASK] !== e || this.#items[e & MASK] === undefined) e++;
      const i = e & MASK;
      if (!all && this.#newestTs - this.#ts[i] < this.depth) return;
      const item = this.#items[i] as T;
      this.#items[i] = undefined;
      this.#count--;
      const lost = e - this.#next;
      this.#next = e + 1;
      onItem(item, this.#ts[i], lost);
    }
  }

  /** Forgets sequence state (new SSRC). Call after `pop(…, true)`. */
  reset(): void {
    this.#ext.fill(-1);
    this.#items.fill(undefined);
    this.#count = 0;
    this.#next = -1;
    this.#newest = -1;
    this.#newestTs = -Infinity;
  }
}
