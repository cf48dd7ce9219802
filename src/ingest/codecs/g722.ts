// ITU-T G.722 (64 kbit/s mode) decoder: SB-ADPCM, two sub-bands, receive QMF to 16 kHz.
// No maintained npm package decodes G.722, so this follows the ITU-T reference algorithm block
// by block (block names in comments are the Recommendation's). One byte in → two samples out.
// Verified against ffmpeg's decoder in test/ingest/codecs/reference.test.ts.
import { allocPcm } from './pcm-slab.js';

const WL = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const ILB = [
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025,
  3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
const WH = [0, -214, 798];
const RH2 = [2, 1, 2, 1];
const QM2 = [-7408, -1616, 7408, 1616];
const QM4 = [0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0];
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
  -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728, 24808,
  21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008,
  3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
const QMF = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

const sat = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);

/** Adaptive predictor state of one sub-band. */
class Band {
  s = 0;
  sp = 0;
  sz = 0;
  r = [0, 0, 0];
  a = [0, 0, 0];
  ap = [0, 0, 0];
  p = [0, 0, 0];
  d = [0, 0, 0, 0, 0, 0, 0];
  b = [0, 0, 0, 0, 0, 0, 0];
  bp = [0, 0, 0, 0, 0, 0, 0];
  sg = [0, 0, 0, 0, 0, 0, 0];
  nb = 0;
  constructor(public det: number) {}

  /** Block 4: pole/zero predictor adaptation after a new difference signal `d`. */
  adapt(d: number): void {
    this.d[0] = d;
    this.r[0] = sat(this.s + d);
    this.p[0] = sat(this.sz + d);
    // UPPOL2
    for (let i = 0; i < 3; i++) this.sg[i] = this.p[i] >> 15;
    const wd1 = sat(this.a[1] << 2);
    let wd2 = this.sg[0] === this.sg[1] ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = this.sg[0] === this.sg[2] ? 128 : -128;
    wd3 += wd2 >> 7;
    wd3 += (this.a[2] * 32512) >> 15;
    this.ap[2] = wd3 > 12288 ? 12288 : wd3 < -12288 ? -12288 : wd3;
    // UPPOL1
    this.sg[0] = this.p[0] >> 15;
    this.sg[1] = this.p[1] >> 15;
    const w1 = this.sg[0] === this.sg[1] ? 192 : -192;
    const w2 = (this.a[1] * 32640) >> 15;
    this.ap[1] = sat(w1 + w2);
    const lim = sat(15360 - this.ap[2]);
    if (this.ap[1] > lim) this.ap[1] = lim;
    else if (this.ap[1] < -lim) this.ap[1] = -lim;
    // UPZERO
    const step = d === 0 ? 0 : 128;
    this.sg[0] = d >> 15;
    for (let i = 1; i < 7; i++) {
      this.sg[i] = this.d[i] >> 15;
      const u = this.sg[i] === this.sg[0] ? step : -step;
      this.bp[i] = sat(u + ((this.b[i] * 32640) >> 15));
    }
    // DELAYA
    for (let i = 6; i > 0; i--) {
      this.d[i] = this.d[i - 1];
      this.b[i] = this.bp[i];
    }
    for (let i = 2; i > 0; i--) {
      this.r[i] = this.r[i - 1];
      this.p[i] = this.p[i - 1];
      this.a[i] = this.ap[i];
    }
    // FILTEP, FILTEZ, PREDIC
    const p1 = (this.a[1] * sat(this.r[1] + this.r[1])) >> 15;
    const p2 = (this.a[2] * sat(this.r[2] + this.r[2])) >> 15;
    this.sp = sat(p1 + p2);
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (this.b[i] * sat(this.d[i] + this.d[i])) >> 15;
    this.sz = sat(sz);
    this.s = sat(this.sp + this.sz);
  }
}

export class G722Decoder {
  #low = new Band(32);
  #high = new Band(8);
  #x = new Int32Array(24);

  /** Decodes `payload` (one 8-bit codeword per 16 kHz sample pair) into 2 × length samples. */
  decode(payload: Uint8Array, out = allocPcm(payload.length * 2)): Int16Array {
    const low = this.#low;
    const high = this.#high;
    const x = this.#x;
    let o = 0;
    for (let n = 0; n < payload.length; n++) {
      const code = payload[n];
      const ilow = code & 0x3f;
      const ihigh = (code >> 6) & 0x03;
      // Low band: INVQBL, RECONS, LIMIT
      let rlow = low.s + ((low.det * QM6[ilow]) >> 15);
      rlow = rlow > 16383 ? 16383 : rlow < -16384 ? -16384 : rlow;
      const i4 = ilow >> 2;
      const dlowt = (low.det * QM4[i4]) >> 15;
      // LOGSCL, SCALEL
      let nb = ((low.nb * 127) >> 7) + WL[RL42[i4]];
      low.nb = nb < 0 ? 0 : nb > 18432 ? 18432 : nb;
      let sh = 8 - (low.nb >> 11);
      let det = ILB[(low.nb >> 6) & 31];
      low.det = (sh < 0 ? det << -sh : det >> sh) << 2;
      low.adapt(dlowt);
      // High band: INVQAH, RECONS, LIMIT, LOGSCH, SCALEH
      const dhigh = (high.det * QM2[ihigh]) >> 15;
      let rhigh = dhigh + high.s;
      rhigh = rhigh > 16383 ? 16383 : rhigh < -16384 ? -16384 : rhigh;
      nb = ((high.nb * 127) >> 7) + WH[RH2[ihigh]];
      high.nb = nb < 0 ? 0 : nb > 22528 ? 22528 : nb;
      sh = 10 - (high.nb >> 11);
      det = ILB[(high.nb >> 6) & 31];
      high.det = (sh < 0 ? det << -sh : det >> sh) << 2;
      high.adapt(dhigh);
      // Receive QMF: two output samples per codeword.
      x.copyWithin(0, 2);
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += x[2 * i] * QMF[i];
        xout1 += x[2 * i + 1] * QMF[11 - i];
      }
      out[o++] = sat(xout1 >> 11);
      out[o++] = sat(xout2 >> 11);
    }
    return out;
  }
}
