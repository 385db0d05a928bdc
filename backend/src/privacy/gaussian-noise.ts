import { randomBytes } from "node:crypto";
import { Rng } from "../engine/rng.js";

/**
 * Gaussian noise for DP: a source of standard normal draws, and a function adding N(0, std^2)
 * to every coordinate of a delta.
 *
 * Two sources:
 * - `seededNormalSource(seed)`: the engine's seeded sfc32 generator with Box-Muller
 *   (engine/rng.ts), for simulations and benchmarks that must be reproducible. Its uniforms have
 *   32 bits, so |draw| never exceeds about 6.7; fine for experiments, NOT for a deployment whose
 *   noise must be unpredictable.
 * - `secureNormalSource()`: Box-Muller on 53-bit uniforms from node:crypto, for real nodes.
 *
 * Both produce floating-point normals. As with TF Privacy, and Opacus outside its secure mode,
 * the guarantee is proved for ideal real-valued noise; floating-point artefacts are a known
 * attack surface (Mironov 2012, "On significance of the least significant bits for differential
 * privacy") that this module does not defend against.
 */
export interface NormalSource {
  /** One draw from N(0, 1). */
  normal(): number;
}

/** A reproducible N(0, 1) source from a 32-bit seed (engine/rng.ts's sfc32 + Box-Muller). */
export function seededNormalSource(seed: number): NormalSource {
  return new Rng(seed);
}

const POOL_BYTES = 8 * 1024;

/** N(0, 1) from the operating system's CSPRNG (Box-Muller on 53-bit uniforms). */
export function secureNormalSource(): NormalSource {
  let pool = randomBytes(POOL_BYTES);
  let offset = 0;
  let spare: number | null = null;
  /** Uniform in (0, 1]: k / 2^53 with k in 1..2^53. */
  const uniform = (): number => {
    if (offset + 8 > pool.length) {
      pool = randomBytes(POOL_BYTES);
      offset = 0;
    }
    const hi = pool.readUInt32BE(offset) >>> 11; // 21 bits
    const lo = pool.readUInt32BE(offset + 4); // 32 bits
    offset += 8;
    return (hi * 4294967296 + lo + 1) / 9007199254740992;
  };
  return {
    normal(): number {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      const r = Math.sqrt(-2 * Math.log(uniform()));
      const theta = 2 * Math.PI * uniform();
      spare = r * Math.sin(theta);
      return r * Math.cos(theta);
    },
  };
}

/** delta + N(0, std^2 I), as a new array (`delta` is not modified). std 0 returns a copy. */
export function addGaussianNoise(
  delta: Float32Array,
  std: number,
  rng: NormalSource,
): Float32Array {
  if (!(Number.isFinite(std) && std >= 0))
    throw new RangeError(`noise std must be a finite number >= 0, got ${std}`);
  const out = Float32Array.from(delta);
  if (std === 0) return out;
  for (let i = 0; i < out.length; i++) out[i] = delta[i]! + std * rng.normal();
  return out;
}
