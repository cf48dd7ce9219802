// Pairs each final transcript with the moment the VAD closed its segment, by the segment's seq.
// A segment may yield no words (a cough): it closes but never gets a final, so pairing by order
// alone would charge every later final with an earlier segment's close time.

const MAX_OPEN = 64; // per leg: closed segments still awaiting a final (bounded if finals stop)

export class FinalLatency {
  readonly #open = new Map<string, { seq: number; at: number }[]>();

  /** The VAD closed segment `seq` of a leg at `at` (ms). */
  closed(legId: string, seq: number, at: number): void {
    let q = this.#open.get(legId);
    if (!q) this.#open.set(legId, (q = []));
    if (q.length < MAX_OPEN) q.push({ seq, at });
  }

  /** A final for segment `seq` at `at`: its latency in ms, or undefined when its close was not seen. */
  final(legId: string, seq: number, at: number): number | undefined {
    const q = this.#open.get(legId);
    if (!q) return undefined;
    // Earlier segments with no final yielded no words: they will never get one.
    while (q.length && q[0]!.seq < seq) q.shift();
    if (q[0]?.seq !== seq) return undefined;
    return at - q.shift()!.at;
  }

  /** The leg's numbering restarts (its worker was restarted) or the leg ended. */
  /** Legs with closed segments awaiting their final. */
  get size(): number {
    return this.#open.size;
  }

  reset(legId: string): void {
    this.#open.delete(legId);
  }

  get pending(): number {
    let n = 0;
    for (const q of this.#open.values()) n += q.length;
    return n;
  }
}
