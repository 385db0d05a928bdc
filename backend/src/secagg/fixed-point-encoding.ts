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
}

export function fixedPointEncoding(clipRange: number, maxClients: number): FixedPointEncoding {
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
  const maxMagnitude = Math.floor(INT32_MAX / maxClients);
  return { clipRange, maxClients, maxMagnitude, scale: maxMagnitude / clipRange };
}

/** The largest gap between the decoded sum of `count` inputs and the sum of the clipped inputs. */
export function quantisationBound(encoding: FixedPointEncoding, count: number): number {
  return count / (2 * encoding.scale);
}

/** Clips and encodes one client's vector into ring elements (Uint32, two's complement). */
export function encodeVector(values: Float32Array, encoding: FixedPointEncoding): Uint32Array {
  const { scale, maxMagnitude } = encoding;
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
    out[i] = Math.round(y);
  }
  return new Uint32Array(out.buffer); // the same bits: q mod 2^32
}

/** Decodes the ring sum of at most `encoding.maxClients` encoded vectors back to floats. */
export function decodeSum(sum: Uint32Array, encoding: FixedPointEncoding): Float32Array {
  const signed = new Int32Array(sum.buffer, sum.byteOffset, sum.length);
  const out = new Float32Array(sum.length);
  const { scale } = encoding;
  for (let i = 0; i < signed.length; i++) out[i] = signed[i]! / scale;
  return out;
}
