// Per-leg level and clipping statistics, measured on the original 16-bit samples (before
// resampling, which would smooth clipped peaks away).

const BLOCK = 160; // samples per level block (20 ms at 8 kHz, 10 ms at 16 kHz): fine enough
const ACTIVE_FLOOR = 1e-5; // mean square below -50 dBFS is line silence, left out of the level
const CLIP = 32600; // |sample| at or above this counts as clipped (within 0.5% of full scale)

export interface LevelSnapshot {
  /** Mean level of active (non-silent) audio in dBFS; -120 when the leg was silent throughout. */
  levelDb: number;
  /** Share of samples at full scale. */
  clippedRatio: number;
}

export class LevelMeter {
  #samples = 0;
  #clipped = 0;
  #activeEnergy = 0;
  #activeBlocks = 0;
  #blockEnergy = 0;
  #blockFill = 0;

  push(samples: Int16Array): void {
    for (let j = 0; j < samples.length; j++) {
      const s = samples[j];
      if (s >= CLIP || s <= -CLIP) this.#clipped++;
      const x = s / 32768;
      this.#blockEnergy += x * x;
      if (++this.#blockFill === BLOCK) {
        const ms = this.#blockEnergy / BLOCK;
        if (ms > ACTIVE_FLOOR) {
          this.#activeEnergy += ms;
          this.#activeBlocks++;
        }
        this.#blockEnergy = 0;
        this.#blockFill = 0;
      }
    }
    this.#samples += samples.length;
  }

  snapshot(): LevelSnapshot {
    const ms = this.#activeBlocks ? this.#activeEnergy / this.#activeBlocks : 0;
    const levelDb = ms > 0 ? Math.max(-120, 10 * Math.log10(ms)) : -120;
    return {
      levelDb: Math.round(levelDb * 10) / 10,
      clippedRatio: this.#samples ? this.#clipped / this.#samples : 0,
    };
  }
}
