/** Fixed-capacity FIFO of the most recent live messages, for reconnect catch-up. */
export class Ring<T extends { seq: number }> {
  readonly #items: (T | undefined)[];
  #start = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#items = new Array(capacity);
  }

  push(item: T): void {
    const end = (this.#start + this.#size) % this.capacity;
    this.#items[end] = item;
    if (this.#size < this.capacity) this.#size++;
    else this.#start = (this.#start + 1) % this.capacity;
  }

  /** Seq of the oldest message still held, or undefined when empty. */
  get oldestSeq(): number | undefined {
    return this.#size ? this.#items[this.#start]!.seq : undefined;
  }

  /** Messages with seq > since, oldest first. Seqs are consecutive, so this is an index lookup. */
  after(since: number): T[] {
    const oldest = this.oldestSeq;
    if (oldest === undefined) return [];
    const skip = Math.max(0, since - oldest + 1);
    const out: T[] = [];
    for (let i = skip; i < this.#size; i++) out.push(this.#items[(this.#start + i) % this.capacity]!);
    return out;
  }
}
