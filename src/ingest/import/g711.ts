// G.711 expansion tables, private to import and the fork endpoints for now: src/ingest/codecs/
// (built in parallel) will own the shared copy, and these can then re-export from there.

function ulawToLinear(u: number): number {
  u = ~u & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 0x07)) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

function alawToLinear(a: number): number {
  a ^= 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

export const ULAW: Int16Array = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));
export const ALAW: Int16Array = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));

/** Linear → µ-law, used by tests and fixture generators to make real PCMU. */
export function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, sample | 0));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

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
