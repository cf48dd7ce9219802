// Per-leg network quality: RFC 3550 loss and interarrival jitter, and an E-model (ITU-T G.107)
// MOS estimate from them. The MOS is a listening-quality estimate for dashboards, not a measurement.

/** Equipment impairment (Ie) and packet-loss robustness (Bpl, with PLC) per codec, G.113 Appendix I values. */
const IMPAIRMENT: Record<string, { ie: number; bpl: number }> = {
  PCMU: { ie: 0, bpl: 25.1 },
  PCMA: { ie: 0, bpl: 25.1 },
  G722: { ie: 0, bpl: 25.1 },
  L16: { ie: 0, bpl: 25.1 },
  OPUS: { ie: 0, bpl: 20 },
};

/**
 * E-model R → MOS (G.107 Annex B). `lossPct` 0–100, `delayMs` mouth-to-ear estimate (the jitter
 * buffer and packetisation dominate on a recorder), `burstR` 1 = random loss.
 */
export function estimateMos(codec: string, lossPct: number, delayMs: number, burstR = 1): number {
  const { ie, bpl } = IMPAIRMENT[codec.toUpperCase()] ?? { ie: 0, bpl: 10 };
  const ieEff = ie + ((95 - ie) * lossPct) / (lossPct / burstR + bpl);
  const id = 0.024 * delayMs + (delayMs > 177.3 ? 0.11 * (delayMs - 177.3) : 0);
  let r = 93.2 - id - ieEff;
  r = Math.max(0, Math.min(100, r));
  if (r === 0) return 1;
  return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
}

/** RFC 3550 §6.4.1 interarrival jitter and §A.3 loss accounting for one SSRC at a time. */
export class RtpQuality {
  packets = 0;
  duplicates = 0;
  late = 0;
  ssrcChanges = 0;
  #lostBefore = 0; // carried over SSRC changes
  #expectedBefore = 0;
  #baseSeq = -1;
  #maxSeq = -1;
  #received = 0;
  #jitter = 0; // RTP clock units
  #transit = NaN;
  #clockRate = 8000;

  /** Extended sequence number of `seq` relative to the highest seen (handles 16-bit wrap). */
  extend(seq: number): number {
    if (this.#maxSeq < 0) return seq;
    const delta = (((seq - (this.#maxSeq & 0xffff)) << 16) >> 16);
    return this.#maxSeq + delta;
  }

  /** Records an accepted (non-duplicate) packet. `arrivalMs` is the receive time. */
  onPacket(ext: number, timestamp: number, arrivalMs: number, clockRate: number, media: boolean): void {
    this.packets++;
    this.#received++;
    if (this.#baseSeq < 0) this.#baseSeq = ext;
    if (ext > this.#maxSeq) this.#maxSeq = ext;
    if (!media) return; // RFC 4733 events repeat one timestamp: they would fake jitter
    if (clockRate !== this.#clockRate) {
      this.#clockRate = clockRate;
      this.#transit = NaN;
    }
    const transit = (arrivalMs * clockRate) / 1000 - timestamp;
    if (!Number.isNaN(this.#transit)) {
      let d = transit - this.#transit;
      // The RTP timestamp wraps at 2^32: fold the difference back.
      if (d > 2 ** 31) d -= 2 ** 32;
      else if (d < -(2 ** 31)) d += 2 ** 32;
      this.#jitter += (Math.abs(d) - this.#jitter) / 16;
    }
    this.#transit = transit;
  }

  /** A new SSRC starts new sequence accounting; totals carry over. */
  resetSequence(): void {
    this.#expectedBefore += this.expectedThisSsrc();
    this.#lostBefore += this.lostThisSsrc();
    this.#baseSeq = -1;
    this.#maxSeq = -1;
    this.#received = 0;
    this.#transit = NaN;
    this.ssrcChanges++;
  }

  expectedThisSsrc(): number {
    return this.#baseSeq < 0 ? 0 : this.#maxSeq - this.#baseSeq + 1;
  }

  lostThisSsrc(): number {
    return Math.max(0, this.expectedThisSsrc() - this.#received);
  }

  get expected(): number {
    return this.#expectedBefore + this.expectedThisSsrc();
  }

  get lost(): number {
    return this.#lostBefore + this.lostThisSsrc();
  }

  get jitterMs(): number {
    return (this.#jitter / this.#clockRate) * 1000;
  }
}
