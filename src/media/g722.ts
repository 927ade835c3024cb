/**
 * G.722 (ITU-T G.722, 7 kHz audio coding within 64 kbit/s): sub-band ADPCM
 * at 64 kbit/s, 16 kHz linear audio in, one octet per two samples out.
 * Bit-exact with the Recommendation's fixed-point arithmetic (checked
 * against spandsp, test/integration/g722.test.ts).
 *
 * G.722 §1.4.1: "the input signal ... is first split into two sub-bands by
 * a QMF"; each sub-band is ADPCM-coded with its own adaptive predictor
 * (§6.2, blocks 4L/4H: two poles, six zeros); the lower band carries 6 bits
 * per 8 kHz sample, the higher band 2 (mode 1, 64 kbit/s: RFC 3551 §4.5.2
 * "G722 ... the mode 1 of operation ... 64 kbit/s").
 *
 * Encoder and decoder are stateful streams: one per RTP stream, fed in
 * order; a 20 ms packet is 320 samples ↔ 160 octets.
 */
import { IHN, IHP, ILB, ILN, ILP, Q6, QM2, QM4, QM6, QMF_FWD, QMF_REV, RH2, RL42, WH, WL } from "./g722-tables.ts";

const sat16 = (x: number): number => (x > 32767 ? 32767 : x < -32768 ? -32768 : x);
const sat15 = (x: number): number => (x > 16383 ? 16383 : x < -16384 ? -16384 : x);
/** C's (int16_t) cast: keeps the low 16 bits, signed. */
const wrap16 = (x: number): number => (x << 16) >> 16;
const sign = (x: number): number => x & 0x8000;

/** One sub-band's ADPCM state (G.722 §6.2: the predictor and the scale factor). */
class Band {
  /** Predicted signal (s), its zero section (sz), the last reconstructed signal (r). */
  s = 0;
  sz = 0;
  r = 0;
  /** Pole coefficients and the partial reconstructed signals they follow. */
  a0 = 0;
  a1 = 0;
  p0 = 0;
  p1 = 0;
  /** Zero-section coefficients b1..b6 (here b0..b5) and the last six quantized differences d1..d6. */
  b0 = 0;
  b1 = 0;
  b2 = 0;
  b3 = 0;
  b4 = 0;
  b5 = 0;
  d1 = 0;
  d2 = 0;
  d3 = 0;
  d4 = 0;
  d5 = 0;
  d6 = 0;
  /** Log scale factor (NBL/NBH) and the linear one (DETL/DETH). */
  nb = 0;
  det: number;

  constructor(det: number) {
    this.det = det;
  }

  /** Block 3: adapts the scale factor from the code's log multiplier; `shift` 8 (lower) or 10 (higher), `max` its NB limit. */
  scale(multiplier: number, max: number, shift: number): void {
    let nb = wrap16(((this.nb * 127) >> 7) + multiplier);
    nb = nb < 0 ? 0 : nb > max ? max : nb;
    this.nb = nb;
    const wd1 = (nb >> 6) & 31;
    const wd2 = shift - (nb >> 11);
    const wd3 = wd2 < 0 ? (ILB[wd1] as number) << -wd2 : (ILB[wd1] as number) >> wd2;
    this.det = wrap16(wd3 << 2);
  }

  /** Block 4 (RECONS, PARREC, UPPOL2, UPPOL1, FILTEP, UPZERO, DELAYA, FILTEZ, PREDIC) for the quantized difference `dx`. */
  predict(dx: number): void {
    const r = sat16(this.s + dx);
    const p = sat16(this.sz + dx);
    // UPPOL2
    let wd1 = sat16(this.a0 << 2);
    // (0 - wd1) | 0, not -wd1: a -0 would turn the JIT's integer arithmetic into doubles.
    let wd32 = sign(p ^ this.p0) !== 0 ? wd1 : (0 - wd1) | 0;
    if (wd32 > 32767) wd32 = 32767;
    let wd3 = wrap16((sign(p ^ this.p1) !== 0 ? -128 : 128) + (wd32 >> 7) + ((this.a1 * 32512) >> 15));
    if (wd3 > 12288) wd3 = 12288;
    else if (wd3 < -12288) wd3 = -12288;
    const ap1 = wd3;
    // UPPOL1
    wd1 = sign(p ^ this.p0) !== 0 ? -192 : 192;
    const wd2 = wrap16((this.a0 * 32640) >> 15);
    let ap0 = sat16(wd1 + wd2);
    wd3 = sat16(15360 - ap1);
    if (ap0 > wd3) ap0 = wd3;
    else if (ap0 < -wd3) ap0 = -wd3;
    // FILTEP
    const e1 = wrap16((ap0 * sat16(r + r)) >> 15);
    const e2 = wrap16((ap1 * sat16(this.r + this.r)) >> 15);
    const sp = sat16(e1 + e2);
    this.r = r;
    this.a1 = ap1;
    this.a0 = ap0;
    this.p1 = this.p0;
    this.p0 = p;
    // UPZERO, DELAYA, FILTEZ over the six zeros: b_i adapts on sgn(dx)·sgn(d_i), the difference i samples back.
    const step = dx === 0 ? 0 : 128;
    const neg = dx & 0x8000;
    const down = (0 - step) | 0;
    const { d1, d2, d3, d4, d5, d6 } = this;
    const b5 = sat16(((this.b5 * 32640) >> 15) + ((d6 & 0x8000) !== neg ? down : step));
    const b4 = sat16(((this.b4 * 32640) >> 15) + ((d5 & 0x8000) !== neg ? down : step));
    const b3 = sat16(((this.b3 * 32640) >> 15) + ((d4 & 0x8000) !== neg ? down : step));
    const b2 = sat16(((this.b2 * 32640) >> 15) + ((d3 & 0x8000) !== neg ? down : step));
    const b1 = sat16(((this.b1 * 32640) >> 15) + ((d2 & 0x8000) !== neg ? down : step));
    const b0 = sat16(((this.b0 * 32640) >> 15) + ((d1 & 0x8000) !== neg ? down : step));
    const sz =
      ((b5 * sat16(d5 * 2)) >> 15) +
      ((b4 * sat16(d4 * 2)) >> 15) +
      ((b3 * sat16(d3 * 2)) >> 15) +
      ((b2 * sat16(d2 * 2)) >> 15) +
      ((b1 * sat16(d1 * 2)) >> 15) +
      ((b0 * sat16(dx * 2)) >> 15);
    this.b0 = b0;
    this.b1 = b1;
    this.b2 = b2;
    this.b3 = b3;
    this.b4 = b4;
    this.b5 = b5;
    this.d6 = d5;
    this.d5 = d4;
    this.d4 = d3;
    this.d3 = d2;
    this.d2 = d1;
    this.d1 = dx;
    this.sz = sat16(sz);
    this.s = sat16(sp + this.sz);
  }
}

/**
 * The 24-tap QMF's delay line: two interleaved 12-sample rings, each sample
 * stored twice (at i and i + 12) so the 12 newest are always contiguous.
 */
class Qmf {
  readonly x = new Int32Array(24);
  readonly y = new Int32Array(24);
  ptr = 0;

  push(x: number, y: number): void {
    const p = this.ptr;
    this.x[p] = x;
    this.x[p + 12] = x;
    this.y[p] = y;
    this.y[p + 12] = y;
    this.ptr = p === 11 ? 0 : p + 1;
  }

  /** Σ ring[(ptr+k) mod 12] · coeffs[k]: the oldest sample meets the first coefficient. */
  dot(ring: Int32Array, coeffs: Int32Array): number {
    let z = 0;
    for (let k = 0, i = this.ptr; k < 12; k++, i++) z += (ring[i] as number) * (coeffs[k] as number);
    return z;
  }
}

export class G722Encoder {
  readonly #low = new Band(32);
  readonly #high = new Band(8);
  readonly #qmf = new Qmf();

  /** Encodes `count` samples (even) of 16 kHz audio read by `sample(i)`, writing count/2 octets to `out` at `at`. */
  encodeWith(sample: (i: number) => number, count: number, out: Uint8Array, at: number): number {
    const lo = this.#low;
    const hi = this.#high;
    const q = this.#qmf;
    let o = at;
    for (let j = 0; j + 1 < count; j += 2) {
      // The transmit QMF: §3.1 "xL = ... xH = ..." (15-bit sub-band signals).
      q.push(sample(j), sample(j + 1));
      const sumOdd = q.dot(q.x, QMF_FWD);
      const sumEven = q.dot(q.y, QMF_REV);
      const xlow = wrap16((sumEven + sumOdd) >> 14);
      const xhigh = wrap16((sumEven - sumOdd) >> 14);
      // Lower band: SUBTRA, QUANTL, INVQAL, LOGSCL, SCALEL, then the predictor.
      const el = sat16(xlow - lo.s);
      const wl = el >= 0 ? el : ~el;
      // QUANTL: the first decision level above |el| (levels rise with i: a binary search over 1..29, else 30).
      let lo1 = 1;
      let hi1 = 30;
      while (lo1 < hi1) {
        const mid = (lo1 + hi1) >> 1;
        if (wl < ((Q6[mid] as number) * lo.det) >> 12) hi1 = mid;
        else lo1 = mid + 1;
      }
      const i = lo1;
      const ilow = (el < 0 ? ILN[i] : ILP[i]) as number;
      const ril = ilow >> 2;
      const dlow = wrap16((lo.det * (QM4[ril] as number)) >> 15);
      lo.scale(WL[RL42[ril] as number] as number, 18432, 8);
      lo.predict(dlow);
      // Higher band: SUBTRA, QUANTH, INVQAH, LOGSCH, SCALEH, then the predictor.
      const eh = sat16(xhigh - hi.s);
      const wh = eh >= 0 ? eh : ~eh;
      const mih = wh >= (564 * hi.det) >> 12 ? 2 : 1;
      const ihigh = (eh < 0 ? IHN[mih] : IHP[mih]) as number;
      const dhigh = wrap16((hi.det * (QM2[ihigh] as number)) >> 15);
      hi.scale(WH[RH2[ihigh] as number] as number, 22528, 10);
      hi.predict(dhigh);
      out[o++] = (ihigh << 6) | ilow;
    }
    return o - at;
  }

  /** Encodes 16 kHz linear samples; returns the number of octets written. */
  encode(pcm: Int16Array, out: Uint8Array, at = 0): number {
    return this.encodeWith((i) => pcm[i] as number, pcm.length, out, at);
  }
}

export class G722Decoder {
  readonly #low = new Band(32);
  readonly #high = new Band(8);
  readonly #qmf = new Qmf();

  /** Decodes octets into 16 kHz linear samples (two per octet). */
  decode(code: Uint8Array): Int16Array {
    const lo = this.#low;
    const hi = this.#high;
    const q = this.#qmf;
    const out = new Int16Array(code.length * 2);
    let o = 0;
    for (let j = 0; j < code.length; j++) {
      const c = code[j] as number;
      const ilow = c & 0x3f;
      const ihigh = (c >> 6) & 0x03;
      // Lower band: INVQBL (6-bit, what is heard), RECONS, LIMIT; INVQAL (4-bit) feeds the predictor.
      const rlow = sat15(lo.s + ((lo.det * (QM6[ilow] as number)) >> 15));
      const ril = ilow >> 2;
      const dlow = wrap16((lo.det * (QM4[ril] as number)) >> 15);
      lo.scale(WL[RL42[ril] as number] as number, 18432, 8);
      lo.predict(dlow);
      // Higher band: INVQAH, RECONS, LIMIT, then adaptation.
      const dhigh = wrap16((hi.det * (QM2[ihigh] as number)) >> 15);
      const rhigh = sat15(dhigh + hi.s);
      hi.scale(WH[RH2[ihigh] as number] as number, 22528, 10);
      hi.predict(dhigh);
      // The receive QMF.
      q.push(rlow + rhigh, rlow - rhigh);
      out[o++] = sat16(q.dot(q.y, QMF_REV) >> 11);
      out[o++] = sat16(q.dot(q.x, QMF_FWD) >> 11);
    }
    return out;
  }
}
