// G.711 for import and the fork endpoints: the tables and µ-law encoder are the codec module's
// (one copy of G.711 in the tree); the A-law encoder is only needed by fixtures here.
export { ULAW_TABLE as ULAW, ALAW_TABLE as ALAW, linearToUlaw } from '../codecs/g711.js';

/** Linear → A-law (fixtures). */
export function linearToAlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, sample | 0));
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = exponent === 0 ? (s >> 4) & 0x0f : (s >> (exponent + 3)) & 0x0f;
  return (sign | (exponent << 4) | mantissa) ^ 0x55;
}
