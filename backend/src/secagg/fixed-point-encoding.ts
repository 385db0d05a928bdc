// Fixed-point encoding of float vectors into the ring Z_{2^32}, where the masks live.
//
// Each client clips every coordinate to [-R, R] and maps it to an integer q with |q| <= Q, where
//
//   Q = floor((2^31 - 1) / n)        n = the most clients whose inputs can be summed
//   scale = Q / R                    q = round(clamp(x, -R, R) * scale)
//
// and stores q mod 2^32 (two's complement). The sum of n such integers lies in [-nQ, nQ], inside
// the signed 32-bit range [-(2^31 - 1), 2^31 - 1], so the modular sum the server unmasks is the
// exact integer sum: no overflow, whatever the inputs. Decoding reads the ring sum as a signed
// 32-bit integer and divides by the scale.
//
// Precision: each coordinate gets about 32 - log2(n) bits (2Q + 1 levels across [-R, R]), a step
// of 1/scale = R / Q. Rounding errs by at most half a step per client, so the decoded sum is within
//
//   n / (2 * scale) = n * R / (2 * Q)  ~=  n^2 * R / 2^32
//
// of the sum of the clipped inputs (plus float32 rounding when it is returned as a Float32Array).
// For n = 10 clients and R = 1 that is 2.3e-8 per coordinate; n = 100 and R = 10: 2.3e-5.
// Coordinates beyond R are clipped, so R must cover what the clients send (model deltas rather than
// raw weights keep R small); the clients' own clipping is the only bound the server relies on.
//
// Quantised inputs (a run's upload compression, `bits` b): each coordinate is stochastically
// rounded to an integer q in [-L, L], L = 2^(b-1) - 1, on the grid of step R / L (unbiased:
// E[q / scale] = x), and the ring shrinks to Z_{2^r} with r = b + ceil(log2 n): the sum of n
// inputs lies in [-nL, nL], inside the signed r-bit range, so it still cannot wrap. Reduction
// mod 2^r is a ring homomorphism from Z_{2^32}, so clients mask in Z_{2^32} as before and send only
// the low r bits of each masked value, and the masks still cancel in the low r bits of the sum:
// the quantised integers go into the masking ring directly, and the upload is r / 32 of the
// unquantised one. Each client's rounding errs by less than one step, so the decoded sum is
// within n x R / L of the sum of the clipped inputs (and exact in expectation).
import { SecAggError } from "./secagg-error.js";

const INT32_MAX = 2 ** 31 - 1;

export interface FixedPointEncoding {
  /** R: every coordinate is clipped to [-R, R] before encoding. */
  readonly clipRange: number;
  /** n: the most inputs that may be summed without overflow. */
  readonly maxClients: number;
  /** Q: the largest encoded magnitude of one input coordinate, floor((2^31 - 1) / n). */
  readonly maxMagnitude: number;
  /** Q / R: encoded integer per unit. */
  readonly scale: number;
  /** r: the ring is Z_{2^r}; masked values travel as r-bit words (32 unless quantised). */
  readonly ringBits: number;
  /** Quantised inputs are rounded stochastically (unbiased); full-precision ones to nearest. */
  readonly stochastic: boolean;
}

export function fixedPointEncoding(
  clipRange: number,
  maxClients: number,
  /** b: quantise inputs to b-bit integers (2-24); omitted: the full 32-bit ring. */
  bits?: number,
): FixedPointEncoding {
  if (!(Number.isFinite(clipRange) && clipRange > 0)) {
    throw new SecAggError(
      "invalid-config",
      `clip range must be a positive number, got ${clipRange}`,
    );
  }
  if (!(Number.isInteger(maxClients) && maxClients >= 1 && maxClients <= INT32_MAX)) {
    throw new SecAggError(
      "invalid-config",
      `max clients must be a positive integer, got ${maxClients}`,
    );
  }
  if (bits !== undefined) {
    const ringBits = bits + Math.ceil(Math.log2(maxClients));
    if (!(Number.isInteger(bits) && bits >= 2 && bits <= 24) || ringBits > 32) {
      throw new SecAggError(
        "invalid-config",
        `${bits}-bit inputs from up to ${maxClients} clients need a ${ringBits}-bit ring; at most 32 bits, and 2 to 24 bits per input`,
      );
    }
    const levels = 2 ** (bits - 1) - 1;
    return {
      clipRange,
      maxClients,
      maxMagnitude: levels,
      scale: levels / clipRange,
      ringBits,
      stochastic: true,
    };
  }
  const maxMagnitude = Math.floor(INT32_MAX / maxClients);
  return {
    clipRange,
    maxClients,
    maxMagnitude,
    scale: maxMagnitude / clipRange,
    ringBits: 32,
    stochastic: false,
  };
}

/** The largest gap between the decoded sum of `count` inputs and the sum of the clipped inputs. */
export function quantisationBound(encoding: FixedPointEncoding, count: number): number {
  // Rounding to nearest errs by half a step; stochastic rounding by less than one.
  return count / ((encoding.stochastic ? 1 : 2) * encoding.scale);
}

/**
 * Clips and encodes one client's vector into ring elements (Uint32, two's complement; a quantised
 * encoding's elements are then reduced mod 2^r when sent). `random` drives stochastic rounding.
 */
export function encodeVector(
  values: Float32Array,
  encoding: FixedPointEncoding,
  random: () => number = Math.random,
): Uint32Array {
  const { scale, maxMagnitude, stochastic } = encoding;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x - x !== 0) {
      // NaN or +-Infinity: x - x is NaN
      throw new SecAggError("protocol-violation", `input coordinate ${i} is not finite (${x})`);
    }
    // Clipping x to [-R, R] and clamping x * scale to [-Q, Q] are the same, as scale = Q / R; the
    // clamp after multiplying also absorbs the rounding of R * scale.
    let y = x * scale;
    if (y > maxMagnitude) y = maxMagnitude;
    else if (y < -maxMagnitude) y = -maxMagnitude;
    if (stochastic) {
      const lo = Math.floor(y);
      out[i] = lo + (random() < y - lo ? 1 : 0);
    } else out[i] = Math.round(y);
  }
  return new Uint32Array(out.buffer); // the same bits: q mod 2^32
}

/** Decodes the ring sum of at most `encoding.maxClients` encoded vectors back to floats. */
export function decodeSum(sum: Uint32Array, encoding: FixedPointEncoding): Float32Array {
  const out = new Float32Array(sum.length);
  const { scale, ringBits } = encoding;
  if (ringBits === 32) {
    const signed = new Int32Array(sum.buffer, sum.byteOffset, sum.length);
    for (let i = 0; i < signed.length; i++) out[i] = signed[i]! / scale;
    return out;
  }
  // The low r bits are the sum mod 2^r; read them as a signed r-bit integer.
  const modulus = 2 ** ringBits;
  const half = modulus / 2;
  for (let i = 0; i < sum.length; i++) {
    const v = sum[i]! % modulus;
    out[i] = (v >= half ? v - modulus : v) / scale;
  }
  return out;
}
