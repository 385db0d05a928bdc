import { expect } from "chai";
import "../helpers/chai-near.js";
import {
  AdaptiveClipNorm,
  OPACUS_DEFAULT_ALPHAS,
  RdpAccountant,
  TF_PRIVACY_RDP_ORDERS,
  addGaussianNoise,
  aggregateNoiseMultiplier,
  applyDelta,
  clipUpdate,
  deltaNoiseMultiplierWithAdaptiveClipping,
  epsilonFromRdp,
  l2Norm,
  localAccountingSteps,
  localNoiseMultiplierFor,
  localNoiseStd,
  meanDelta,
  modelDelta,
  privatizeDelta,
  sampledGaussianRdp,
  sampledGaussianRdpCurve,
  secureNormalSource,
  seededNormalSource,
  type NormalSource,
  type RdpAccountantState,
} from "../../backend/src/privacy/index.js";
import { erfc, logErfc } from "../../backend/src/privacy/log-erfc.js";
import { logAdd, logSub } from "../../backend/src/privacy/log-space.js";

/** Mean, std and the fraction within 1 and 2 std of the mean. */
function moments(xs: ArrayLike<number>): { mean: number; std: number; in1: number; in2: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - mean) ** 2;
  const std = Math.sqrt(v / (xs.length - 1));
  let in1 = 0;
  let in2 = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = Math.abs(xs[i]! - mean);
    if (d <= std) in1++;
    if (d <= 2 * std) in2++;
  }
  return { mean, std, in1: in1 / xs.length, in2: in2 / xs.length };
}

function randomVector(n: number, seed: number, scale = 1): Float32Array {
  const rng = seededNormalSource(seed);
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("privacy: log-space helpers", () => {
  it("logAdd and logSub agree with direct arithmetic and handle log(0) = -Infinity", () => {
    expect(logAdd(Math.log(2), Math.log(3))).to.be.near(Math.log(5), 1e-15);
    expect(logAdd(-Infinity, 1.5)).to.equal(1.5);
    expect(logSub(Math.log(5), Math.log(3))).to.be.near(Math.log(2), 1e-15);
    expect(logSub(2, -Infinity)).to.equal(2);
    expect(logSub(2, 2)).to.equal(-Infinity);
    expect(logSub(1000, 0)).to.equal(1000);
    expect(() => logSub(1, 2)).to.throw(RangeError, /negative/);
  });

  it("logErfc matches scipy (log 2 + log_ndtr(-x sqrt 2)) to 1e-14 relative, deep into the tail", () => {
    // Values from scipy.special.log_ndtr 1.17, which TF Privacy's and Opacus's _log_erfc call.
    const scipy: [number, number][] = [
      [-3, 0.6931361352504468],
      [-0.3, 0.28414589714140825],
      [0, 0],
      [0.3, -0.39843005144008525],
      [0.5, -0.7350111298370848],
      [1, -1.849605509933249],
      [3, -10.720363041981116],
      [4, -17.987778312103014],
      [5, -27.200889545537446],
      [10, -102.87988902484493],
      [27, -732.8688865078977], // erfc(27) itself underflows a double
      [100, -10005.177585122668],
      [1e5, -10000000012.085293],
    ];
    for (const [x, want] of scipy) {
      const got = logErfc(x);
      expect(Math.abs(got - want), `logErfc(${x}) = ${got}`).to.be.at.most(
        1e-14 * Math.max(1, Math.abs(want)),
      );
    }
    expect(erfc(1)).to.be.near(0.157299207050285, 1e-15);
    expect(erfc(-1)).to.be.near(1.842700792949715, 1e-15);
    expect(logErfc(Infinity)).to.equal(-Infinity);
    expect(logErfc(-Infinity)).to.be.near(Math.log(2), 1e-15);
  });
});

describe("privacy: model deltas and L2 clipping", () => {
  it("modelDelta / applyDelta / meanDelta are inverse and averaging operations", () => {
    const g = Float32Array.from([1, 2, 3]);
    const l = Float32Array.from([1.5, 1, 3.25]);
    const d = modelDelta(l, g);
    expect([...d]).to.deep.equal([0.5, -1, 0.25]);
    expect([...applyDelta(g, d)]).to.deep.equal([...l]);
    expect([...applyDelta(g, d, 2)]).to.deep.equal([2, 0, 3.5]);
    expect([...meanDelta([d, Float32Array.from([1.5, 1, 0.75])])]).to.deep.equal([1, 0, 0.5]);
    expect([...meanDelta([d], 4)]).to.deep.equal([0.125, -0.25, 0.0625]);
    expect(() => modelDelta(g, Float32Array.from([1]))).to.throw(RangeError, /3 and 1/);
    expect(() => meanDelta([])).to.throw(RangeError);
  });

  it("a delta longer than C comes back with norm <= C (within float32) and the same direction", () => {
    const delta = randomVector(10_000, 1, 0.05); // norm about 5
    const before = Float32Array.from(delta);
    for (const C of [0.01, 0.5, 1, 3]) {
      const { clipped, norm, wasClipped } = clipUpdate(delta, C);
      expect(wasClipped).to.equal(true);
      expect(norm).to.be.near(l2Norm(delta), 1e-9);
      const after = l2Norm(clipped);
      expect(after).to.be.at.most(C);
      expect(after).to.be.near(C, C * 1e-6);
      // Same direction: every coordinate scaled by the same positive factor C / norm.
      let dot = 0;
      for (let i = 0; i < delta.length; i++) dot += delta[i]! * clipped[i]!;
      expect(dot / (norm * after)).to.be.near(1, 1e-6);
      for (const i of [0, 17, 9999])
        expect(clipped[i]! / delta[i]!).to.be.near(C / norm, (C / norm) * 1e-6);
    }
    expect([...delta]).to.deep.equal([...before]); // input untouched
  });

  it("a delta at or below C is returned unchanged (as a copy)", () => {
    const delta = Float32Array.from([3, 4]); // norm 5
    for (const C of [5, 5.5, 100]) {
      const r = clipUpdate(delta, C);
      expect(r.wasClipped).to.equal(false);
      expect(r.norm).to.equal(5);
      expect([...r.clipped]).to.deep.equal([3, 4]);
      expect(r.clipped).to.not.equal(delta);
    }
    expect(clipUpdate(new Float32Array(4), 1).wasClipped).to.equal(false);
  });

  it("rejects a bad clip norm or a non-finite delta", () => {
    const d = Float32Array.from([1, 2]);
    for (const C of [0, -1, Number.NaN, Infinity])
      expect(() => clipUpdate(d, C)).to.throw(RangeError, /clip norm must be a finite number > 0/);
    expect(() => clipUpdate(Float32Array.from([1, Number.NaN]), 1)).to.throw(
      RangeError,
      /non-finite/,
    );
  });
});

describe("privacy: Gaussian noise", () => {
  const N = 200_000;

  it("seeded noise has mean 0 and the requested std, with normal tails", () => {
    const std = 0.3;
    const noised = addGaussianNoise(new Float32Array(N), std, seededNormalSource(42));
    const m = moments(noised);
    // Standard error of the mean std/sqrt(N) = 6.7e-4; of the std about std/sqrt(2N) = 4.7e-4.
    expect(Math.abs(m.mean)).to.be.below(5 * (std / Math.sqrt(N)));
    expect(m.std).to.be.near(std, 5 * (std / Math.sqrt(2 * N)));
    expect(m.in1).to.be.near(0.6827, 0.005);
    expect(m.in2).to.be.near(0.9545, 0.003);
  });

  it("is reproducible from the seed and differs between seeds", () => {
    const d = randomVector(1000, 3);
    const a = addGaussianNoise(d, 1, seededNormalSource(7));
    const b = addGaussianNoise(d, 1, seededNormalSource(7));
    const c = addGaussianNoise(d, 1, seededNormalSource(8));
    expect([...a]).to.deep.equal([...b]);
    expect([...a]).to.not.deep.equal([...c]);
  });

  it("adds to the delta without modifying it; std 0 is a copy; bad std is refused", () => {
    const d = Float32Array.from([1, 2, 3]);
    const z = addGaussianNoise(d, 0, seededNormalSource(1));
    expect([...z]).to.deep.equal([1, 2, 3]);
    expect(z).to.not.equal(d);
    const big = addGaussianNoise(new Float32Array(N).fill(5), 2, seededNormalSource(2));
    expect(moments(big).mean).to.be.near(5, 0.03);
    for (const s of [-1, Number.NaN, Infinity])
      expect(() => addGaussianNoise(d, s, seededNormalSource(1))).to.throw(
        RangeError,
        /noise std must be a finite number >= 0/,
      );
  });

  it("the crypto source is standard normal too", () => {
    const rng = secureNormalSource();
    const xs = Float64Array.from({ length: N }, () => rng.normal());
    const m = moments(xs);
    expect(Math.abs(m.mean)).to.be.below(5 / Math.sqrt(N));
    expect(m.std).to.be.near(1, 5 / Math.sqrt(2 * N));
    expect(m.in1).to.be.near(0.6827, 0.005);
    expect(m.in2).to.be.near(0.9545, 0.003);
  });

  it("privatizeDelta clips to C then adds N(0, (zC)^2) per coordinate", () => {
    const delta = randomVector(N, 5, 0.01); // norm about 4.5
    const p = privatizeDelta(delta, { clipNorm: 1, noiseMultiplier: 0.8 }, seededNormalSource(9));
    expect(p.wasClipped).to.equal(true);
    expect(p.noiseStd).to.be.near(0.8, 1e-15);
    const { clipped } = clipUpdate(delta, 1);
    const residual = Float64Array.from(p.delta, (v, i) => v - clipped[i]!);
    const m = moments(residual);
    expect(Math.abs(m.mean)).to.be.below(5 * (0.8 / Math.sqrt(N)));
    expect(m.std).to.be.near(0.8, 5 * (0.8 / Math.sqrt(2 * N)));
    const none = privatizeDelta(delta, { clipNorm: 1, noiseMultiplier: 0 }, seededNormalSource(9));
    expect(l2Norm(none.delta)).to.be.at.most(1);
  });
});

describe("privacy: noise calibration for local noise", () => {
  it("the sum of n local noises has std sqrt(n) z C: the aggregate noise multiplier is sqrt(n) z", () => {
    const n = 16;
    const z = 0.5;
    const C = 2;
    const dim = 50_000;
    const rng = seededNormalSource(11);
    const noises = Array.from({ length: n }, () =>
      addGaussianNoise(new Float32Array(dim), localNoiseStd(z, C), rng),
    );
    const sum = meanDelta(noises, 1);
    const m = moments(sum);
    const want = aggregateNoiseMultiplier(z, n) * C; // sensitivity C, multiplier sqrt(n) z
    expect(want).to.equal(4);
    expect(m.std).to.be.near(want, 5 * (want / Math.sqrt(2 * dim)));
    expect(localNoiseMultiplierFor(aggregateNoiseMultiplier(z, n), n)).to.be.near(z, 1e-15);
    expect(localAccountingSteps(z, 7)).to.deep.equal({
      noiseMultiplier: z,
      samplingRate: 1,
      steps: 7,
    });
  });

  it("refuses bad calibration inputs", () => {
    expect(() => localNoiseStd(-1, 1)).to.throw(RangeError, /noise multiplier/);
    expect(() => localNoiseStd(1, 0)).to.throw(RangeError, /clip norm/);
    expect(() => aggregateNoiseMultiplier(1, 0)).to.throw(RangeError, /integer >= 1/);
    expect(() => aggregateNoiseMultiplier(1, 2.5)).to.throw(RangeError, /integer >= 1/);
    expect(() => localNoiseMultiplierFor(Number.NaN, 3)).to.throw(RangeError);
    expect(() => localAccountingSteps(1, 0)).to.throw(RangeError, /rounds joined/);
  });
});

describe("privacy: adaptive clipping (Andrew et al. 2021)", () => {
  const zero: NormalSource = { normal: () => 0 };

  it("applies C <- C exp(-eta (b_bar - gamma)) with b_bar the fraction at or below C", () => {
    const c = new AdaptiveClipNorm({ initialClipNorm: 1, targetQuantile: 0.5, learningRate: 0.2 });
    const u = c.updateFromNorms([0.1, 0.2, 0.5, 0.9, 1, 1, 1, 1.5, 2, 3], zero); // 7 of 10 <= 1
    expect(u.unclippedFraction).to.be.near(0.7, 1e-15);
    expect(u.previousClipNorm).to.equal(1);
    expect(u.clipNorm).to.be.near(Math.exp(-0.2 * 0.2), 1e-15);
    expect(c.clipNorm).to.equal(u.clipNorm);
    // Fixed denominator: 3 of 4 reporting clients under C, 8 expected: (3 - 2) / 8 + 0.5.
    const d = new AdaptiveClipNorm({ initialClipNorm: 1 });
    expect(d.update(3, 4, zero, 8).unclippedFraction).to.be.near(0.625, 1e-15);
    // The noised fraction is clamped to [0, 1].
    const big: NormalSource = { normal: () => 100 };
    expect(
      new AdaptiveClipNorm({ countNoiseStd: 1 }).update(5, 10, big).unclippedFraction,
    ).to.equal(1);
  });

  it("converges to the target quantile of a synthetic norm distribution, with noise on the count", () => {
    // Norms log-normal: exp(N(log 2, 0.5^2)); its gamma-quantile is 2 exp(0.5 Phi^-1(gamma)).
    const quantiles: Record<string, number> = {
      "0.5": 2,
      "0.9": 2 * Math.exp(0.5 * 1.2815515655446004),
      "0.2": 2 * Math.exp(0.5 * -0.8416212335729143),
    };
    for (const [gamma, want] of Object.entries(quantiles)) {
      const clients = 100;
      const c = new AdaptiveClipNorm({
        initialClipNorm: 0.1,
        targetQuantile: Number(gamma),
        learningRate: 0.2,
        countNoiseStd: clients / 20, // the paper's default sigma_b
      });
      const data = seededNormalSource(21);
      const noise = seededNormalSource(22);
      const tail: number[] = [];
      const fractionsUnder: number[] = [];
      for (let round = 0; round < 400; round++) {
        const norms = Array.from({ length: clients }, () => 2 * Math.exp(0.5 * data.normal()));
        const C = c.clipNorm;
        fractionsUnder.push(norms.filter((n) => n <= C).length / clients);
        c.updateFromNorms(norms, noise);
        if (round >= 300) tail.push(c.clipNorm);
      }
      const mean = tail.reduce((s, v) => s + v, 0) / tail.length;
      expect(mean, `gamma ${gamma}: mean C ${mean} vs quantile ${want}`).to.be.near(
        want,
        0.06 * want,
      );
      const lateFraction = fractionsUnder.slice(300).reduce((s, v) => s + v, 0) / 100;
      expect(lateFraction, `gamma ${gamma}`).to.be.near(Number(gamma), 0.04);
    }
  });

  it("saves and restores its state as plain JSON, continuing exactly where it left off", () => {
    const a = new AdaptiveClipNorm({ initialClipNorm: 0.5, targetQuantile: 0.7, countNoiseStd: 2 });
    const rngA = seededNormalSource(3);
    const norms = (r: number) => Array.from({ length: 20 }, (_, i) => 0.1 * ((i * 7 + r) % 13));
    for (let r = 0; r < 5; r++) a.updateFromNorms(norms(r), rngA);
    const saved = JSON.parse(JSON.stringify(a.toJSON()));
    expect(saved).to.deep.equal({
      version: 1,
      clipNorm: a.clipNorm,
      targetQuantile: 0.7,
      learningRate: 0.2,
      countNoiseStd: 2,
    });
    const b = AdaptiveClipNorm.fromJSON(saved);
    const rngB = seededNormalSource(99);
    const rngA2 = seededNormalSource(99);
    for (let r = 5; r < 10; r++) {
      a.updateFromNorms(norms(r), rngA2);
      b.updateFromNorms(norms(r), rngB);
      expect(b.clipNorm).to.equal(a.clipNorm);
    }
    expect(() => AdaptiveClipNorm.fromJSON({ ...saved, version: 2 })).to.throw(
      RangeError,
      /version 2/,
    );
    expect(() => AdaptiveClipNorm.fromJSON({ ...saved, clipNorm: -1 })).to.throw(
      RangeError,
      /clip norm/,
    );
  });

  it("splits the noise budget between the delta sum and the count as TFF does", () => {
    // z_delta = (z^-2 - (2 sigma_b)^-2)^-1/2; with 100 clients, sigma_b = 5.
    expect(deltaNoiseMultiplierWithAdaptiveClipping(1, 5)).to.be.near(1 / Math.sqrt(0.99), 1e-15);
    expect(deltaNoiseMultiplierWithAdaptiveClipping(0, 0)).to.equal(0);
    expect(() => deltaNoiseMultiplierWithAdaptiveClipping(1, 0.5)).to.throw(
      RangeError,
      /too small/,
    );
  });

  it("refuses bad options and counts", () => {
    expect(() => new AdaptiveClipNorm({ initialClipNorm: 0 })).to.throw(RangeError, /clip norm/);
    expect(() => new AdaptiveClipNorm({ targetQuantile: 1.5 })).to.throw(RangeError, /quantile/);
    expect(() => new AdaptiveClipNorm({ learningRate: -1 })).to.throw(RangeError, /learning rate/);
    expect(() => new AdaptiveClipNorm({ countNoiseStd: Number.NaN })).to.throw(
      RangeError,
      /count noise/,
    );
    const c = new AdaptiveClipNorm();
    expect(() => c.update(11, 10, zero)).to.throw(RangeError, /unclipped count/);
    expect(() => c.update(1, 10, zero, 0)).to.throw(RangeError, /expected clients/);
  });
});

describe("privacy: RDP of the sampled Gaussian mechanism", () => {
  it("matches TF Privacy / Opacus's compute_rdp term for term, and numerical integration", () => {
    // [q, z, alpha, RDP]: the Opacus rdp.py series evaluated with scipy 1.17 (binom, log_ndtr);
    // where the integral is finite in double precision it was also checked by integrating
    // E_{x~N(0,z^2)}[((1-q) + q exp((2x-1)/(2z^2)))^alpha] with scipy.integrate.quad (agreement
    // to 1e-9 or better).
    const reference: [number, number, number, number][] = [
      [0.01, 1.1, 1.5, 9.554528557684942e-5],
      [0.01, 1.1, 2, 0.00012851008160514807],
      [0.01, 1.1, 2.5, 0.00016207740933199663],
      [0.01, 1.1, 8, 0.0005840703355202467],
      [0.1, 2, 3.5, 0.005176257366068631],
      [0.1, 2, 16, 0.04529183908362201],
      [256 / 60000, 1.1, 12, 0.00015574016209243032],
      [256 / 60000, 1.1, 1.25, 1.4538843121529385e-5],
      [0.5, 0.8, 4.5, 2.6300113777944167],
      [0.3, 0.7, 1.25, 0.18513140443768483],
      [0.05, 1, 1.75, 0.003653504516597132],
      [1e-3, 5, 512, 3.3187279376691268],
      [0.9, 1, 256, 127.8942263058494],
      [1e-6, 0.3, 4.5, 7.237200711208236],
      [0.01, 0.5, 63, 121.32055287552824],
    ];
    for (const [q, z, alpha, want] of reference) {
      const got = sampledGaussianRdp(q, z, alpha);
      expect(Math.abs(got - want) / want, `q=${q} z=${z} alpha=${alpha}: ${got}`).to.be.below(
        1e-11,
      );
    }
  });

  it("q = 1 is the Gaussian mechanism alpha / (2 z^2); q = 0 costs nothing; z = 0 is infinite", () => {
    for (const alpha of [1.5, 2, 10, 512])
      expect(sampledGaussianRdp(1, 2, alpha)).to.equal(alpha / 8);
    expect(sampledGaussianRdpCurve(1, 0.5, 10, [2, 3])).to.deep.equal([40, 60]);
    expect(sampledGaussianRdp(0, 1, 4)).to.equal(0);
    expect(sampledGaussianRdp(0.1, 0, 4)).to.equal(Infinity);
    expect(sampledGaussianRdp(0.1, 1, Infinity)).to.equal(Infinity);
    expect(sampledGaussianRdpCurve(0.1, 0, 0, [2])).to.deep.equal([0]);
  });

  it("is finite and increasing in alpha over the whole default grid", () => {
    for (const [q, z] of [
      [1e-4, 0.3],
      [0.01, 0.7],
      [0.1, 1],
      [0.5, 4],
      [0.99, 10],
    ] as const) {
      const curve = sampledGaussianRdpCurve(q, z, 1, TF_PRIVACY_RDP_ORDERS);
      curve.forEach((v, k) => {
        expect(
          Number.isFinite(v) && v > 0,
          `q=${q} z=${z} alpha=${TF_PRIVACY_RDP_ORDERS[k]}`,
        ).to.equal(true);
        if (k > 0) expect(v).to.be.at.least(curve[k - 1]! * (1 - 1e-12));
      });
    }
  });

  it("refuses invalid inputs with clear messages", () => {
    expect(() => sampledGaussianRdp(-0.1, 1, 2)).to.throw(
      RangeError,
      /sampling rate must be a number in \[0, 1\]/,
    );
    expect(() => sampledGaussianRdp(1.5, 1, 2)).to.throw(RangeError, /sampling rate/);
    expect(() => sampledGaussianRdp(Number.NaN, 1, 2)).to.throw(RangeError, /sampling rate/);
    expect(() => sampledGaussianRdp(0.1, -1, 2)).to.throw(
      RangeError,
      /noise multiplier must be a finite number >= 0/,
    );
    expect(() => sampledGaussianRdp(0.1, Infinity, 2)).to.throw(RangeError, /noise multiplier/);
    expect(() => sampledGaussianRdp(0.1, 1, 1)).to.throw(RangeError, /order must be > 1/);
    expect(() => sampledGaussianRdpCurve(0.1, 1, 1.5, [2])).to.throw(
      RangeError,
      /steps must be an integer/,
    );
  });
});

describe("privacy: RDP accountant, published reference values", () => {
  it("Opacus rdp.py docstring: (q, z, steps) = (1e-5, 1.0, 10) + (1e-4, 3.0, 4), orders 2..32: eps 0.336 at order 23", () => {
    const acc = new RdpAccountant(range(2, 32)).step(1.0, 1e-5, 10).step(3.0, 1e-4, 4);
    const { epsilon, order } = acc.getEpsilon(1e-5);
    expect(epsilon).to.be.near(0.336, 0.0005);
    expect(order).to.equal(23);
  });

  it("Opacus compute_dp_sgd_privacy docs: q = 0.01, z = 1.0, 300 steps, alphas 2 5 10 20 100: eps 2.39 at alpha 5", () => {
    const acc = new RdpAccountant([2, 5, 10, 20, 100]).step(1.0, 0.01, 300);
    const { epsilon, order } = acc.getEpsilon(1e-5);
    expect(epsilon).to.be.near(2.39, 0.005);
    expect(order).to.equal(5);
  });

  it("TF Privacy README: compute_dp_sgd_privacy N=60000 batch=256 z=1.1 60 epochs: eps 3.01 (Mironov conversion)", () => {
    // compute_dp_sgd_privacy: q = 256/60000, steps = ceil(60 * 60000 / 256) = 14063, TF's grid,
    // and the conversion TF Privacy used then (eps = rdp - log(delta) / (alpha - 1)).
    const acc = new RdpAccountant(TF_PRIVACY_RDP_ORDERS).step(1.1, 256 / 60000, 14063);
    const classic = acc.getEpsilon(1e-5, "mironov2017");
    expect(classic.epsilon).to.be.near(3.01, 0.005);
    expect(classic.order).to.equal(9);
    // The same run with Balle et al.'s conversion (Opacus, dp_accounting today) is tighter.
    const improved = acc.getEpsilon(1e-5);
    expect(improved.epsilon).to.be.near(2.597, 0.0005);
    expect(improved.order).to.equal(8);
  });

  it("TF Privacy tutorials/README.md (MNIST DP-SGD, z = 1.12, batch 256, 234 steps/epoch): eps 1.00, 1.04, 2.92 after 1, 2, 60 epochs", () => {
    const q = 256 / 60000;
    const at = (z: number, epochs: number) =>
      new RdpAccountant(OPACUS_DEFAULT_ALPHAS)
        .step(z, q, epochs * 234)
        .getEpsilon(1e-5, "mironov2017");
    expect(at(1.12, 1).epsilon).to.be.near(1.0, 0.005);
    expect(at(1.12, 2).epsilon).to.be.near(1.04, 0.005);
    expect(at(1.12, 60).epsilon).to.be.near(2.92, 0.005);
    // The README's table: z 0.6 for 30 epochs -> 9.74, z 1.2 for 10 epochs -> 1.20.
    expect(at(0.6, 30).epsilon).to.be.near(9.74, 0.01);
    expect(at(1.2, 10).epsilon).to.be.near(1.2, 0.005);
  });

  it("q = 1 with Balle et al.'s conversion equals the closed form minimised over the grid", () => {
    const z = 3;
    const steps = 10;
    const delta = 1e-6;
    const acc = new RdpAccountant().step(z, 1, steps);
    const want = Math.min(
      ...TF_PRIVACY_RDP_ORDERS.map(
        (a) =>
          (steps * a) / (2 * z * z) -
          (Math.log(delta) + Math.log(a)) / (a - 1) +
          Math.log((a - 1) / a),
      ),
    );
    expect(acc.getEpsilon(delta).epsilon).to.be.near(want, 1e-12);
  });

  it("z = 0 gives infinite epsilon; no steps or q = 0 give 0", () => {
    expect(new RdpAccountant().step(0, 0.1).getEpsilon(1e-5)).to.deep.equal({
      epsilon: Infinity,
      order: null,
    });
    expect(new RdpAccountant().getEpsilon(1e-5).epsilon).to.equal(0);
    expect(new RdpAccountant().step(1, 0, 100).getEpsilon(1e-5).epsilon).to.equal(0);
  });
});

describe("privacy: RDP accountant behaviour and state", () => {
  const q = 0.1;

  it("more steps spend more; more noise spends less; a higher sampling rate spends more", () => {
    const eps = (z: number, rate: number, steps: number) =>
      new RdpAccountant().step(z, rate, steps).getEpsilon(1e-5).epsilon;
    const bySteps = [1, 10, 100, 1000].map((s) => eps(1, q, s));
    const byNoise = [0.5, 0.8, 1, 2, 5].map((z) => eps(z, q, 100));
    const byRate = [0.001, 0.01, 0.1, 0.5, 1].map((r) => eps(1, r, 100));
    for (const seq of [bySteps, byRate])
      for (let i = 1; i < seq.length; i++) expect(seq[i]).to.be.above(seq[i - 1]!);
    for (let i = 1; i < byNoise.length; i++) expect(byNoise[i]).to.be.below(byNoise[i - 1]!);
  });

  it("composes: step-by-step equals one entry, mixed entries equal the sum of their curves", () => {
    const a = new RdpAccountant();
    for (let i = 0; i < 50; i++) a.step(1.3, q);
    const b = new RdpAccountant().step(1.3, q, 50);
    expect(a.toJSON().entries).to.deep.equal([
      { noiseMultiplier: 1.3, samplingRate: q, steps: 50 },
    ]);
    expect(a.getEpsilon(1e-5).epsilon).to.be.near(b.getEpsilon(1e-5).epsilon, 1e-12);

    const mixed = new RdpAccountant().step(1.3, q, 20).step(0.9, 0.05, 7).step(1.3, q, 3);
    expect(mixed.totalSteps).to.equal(30);
    expect(mixed.toJSON().entries).to.have.length(3);
    const orders = mixed.orders;
    const c1 = sampledGaussianRdpCurve(q, 1.3, 23, orders);
    const c2 = sampledGaussianRdpCurve(0.05, 0.9, 7, orders);
    const summed = c1.map((v, k) => v + c2[k]!);
    mixed.rdp().forEach((v, k) => expect(v).to.be.near(summed[k]!, 1e-12 * summed[k]!));
    expect(mixed.getEpsilon(1e-5).epsilon).to.be.near(
      epsilonFromRdp(orders, summed, 1e-5).epsilon,
      1e-12,
    );
  });

  it("its state survives JSON and a restart, and the restored accountant keeps counting", () => {
    const acc = new RdpAccountant().step(1.1, 0.1, 12).step(2, 0.2, 3);
    const saved: RdpAccountantState = JSON.parse(JSON.stringify(acc.toJSON()));
    expect(saved.version).to.equal(1);
    expect(saved.orders).to.deep.equal([...TF_PRIVACY_RDP_ORDERS]);
    const restored = RdpAccountant.fromJSON(saved);
    expect(restored.getEpsilon(1e-5)).to.deep.equal(acc.getEpsilon(1e-5));
    acc.step(2, 0.2, 5);
    restored.step(2, 0.2, 5);
    expect(restored.toJSON()).to.deep.equal(acc.toJSON());
    expect(restored.getEpsilon(1e-5).epsilon).to.be.near(acc.getEpsilon(1e-5).epsilon, 1e-12);
    const custom = RdpAccountant.fromJSON(new RdpAccountant([2, 4, 8]).step(1, 0.5).toJSON());
    expect(custom.orders).to.deep.equal([2, 4, 8]);
  });

  it("refuses bad steps, deltas, orders and states with clear messages", () => {
    const acc = new RdpAccountant();
    expect(() => acc.step(-1, 0.1)).to.throw(
      RangeError,
      /noise multiplier must be a finite number >= 0/,
    );
    expect(() => acc.step(1, 1.01)).to.throw(
      RangeError,
      /sampling rate must be a number in \[0, 1\]/,
    );
    expect(() => acc.step(1, 0.1, 0)).to.throw(RangeError, /steps must be an integer >= 1/);
    expect(() => acc.step(1, 0.1, 2.5)).to.throw(RangeError, /steps must be an integer >= 1/);
    expect(acc.totalSteps).to.equal(0);
    for (const d of [0, 1, -1e-5, Number.NaN])
      expect(() => acc.getEpsilon(d)).to.throw(RangeError, /delta must be a number in \(0, 1\)/);
    expect(() => new RdpAccountant([])).to.throw(RangeError, /at least one order/);
    expect(() => new RdpAccountant([1, 2])).to.throw(RangeError, /finite and > 1/);
    expect(() => epsilonFromRdp([2, 3], [0.1], 1e-5)).to.throw(RangeError, /2 orders but 1/);
    expect(() => epsilonFromRdp([2], [-1], 1e-5)).to.throw(RangeError, />= 0/);
    expect(() => acc.getEpsilon(1e-5, "other" as "balle2020")).to.throw(RangeError, /conversion/);
    const good = new RdpAccountant().step(1, 0.1).toJSON();
    expect(() =>
      RdpAccountant.fromJSON({ ...good, version: 2 } as unknown as RdpAccountantState),
    ).to.throw(RangeError, /version 2/);
    expect(() =>
      RdpAccountant.fromJSON({
        ...good,
        entries: [{ noiseMultiplier: 1, samplingRate: 2, steps: 1 }],
      }),
    ).to.throw(RangeError, /sampling rate/);
  });
});
