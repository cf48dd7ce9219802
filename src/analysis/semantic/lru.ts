// A bounded map that forgets the least recently used entry (Map keeps insertion order).
export class Lru<K, V> {
  readonly #m = new Map<K, V>();
  constructor(readonly max: number) {}

  get(k: K): V | undefined {
    const v = this.#m.get(k);
    if (v === undefined) return undefined;
    this.#m.delete(k);
    this.#m.set(k, v);
    return v;
  }

  set(k: K, v: V): void {
    if (this.max <= 0) return;
    this.#m.delete(k);
    this.#m.set(k, v);
    if (this.#m.size > this.max) this.#m.delete(this.#m.keys().next().value as K);
  }

  get size(): number {
    return this.#m.size;
  }
}
