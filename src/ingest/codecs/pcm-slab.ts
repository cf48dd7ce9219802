// Decoded PCM comes out of slabs: a 320-byte Int16Array of its own would need an off-heap backing
// store per packet, and allocating and finalising those dominated the RTP hot path. A view into a
// shared 64 KiB slab costs one small object. Views are never reused, so consumers may keep them.

const SLAB_SAMPLES = 32768;
let slab = new Int16Array(SLAB_SAMPLES);
let used = 0;

export function allocPcm(n: number): Int16Array {
  if (n > SLAB_SAMPLES / 4) return new Int16Array(n);
  if (used + n > SLAB_SAMPLES) {
    slab = new Int16Array(SLAB_SAMPLES);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  used += n;
  return out;
}
