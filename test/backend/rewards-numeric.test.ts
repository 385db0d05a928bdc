// Losses go on chain as uint128 with 18 decimals. A loss the conversion or the contract cannot hold
// (NaN, Infinity, >= 2^128 / 1e18 ~ 3.4e20, 1e21 whose toFixed(18) is an exponent string) must
// zero the round's scores with a recorded reason, never fail the run.
import { expect } from "chai";
import type { AggregationResult } from "../../backend/src/aggregation/aggregator.js";
import { CreateRunRequest } from "../../backend/src/domain/index.js";
import type { TrainingEngine } from "../../backend/src/engine/port.js";
import {
  lossToFixed,
  MAX_FIXED_LOSS,
  recordableLoss,
} from "../../backend/src/rewards/fixed-point.js";
import { makePolicy } from "../../backend/src/rewards/reward-policy.js";
import type { RunState } from "../../backend/src/rounds/run-state.js";
import { scoreRound } from "../../backend/src/rounds/score-contributions.js";
import type { AcceptedUpdate } from "../../backend/src/rounds/validate-updates.js";

const config = CreateRunRequest.parse({
  dataset: "synthetic",
  model: "2nn",
  partition: { kind: "iid" },
  numNodes: 2,
  fraction: 1,
  rounds: 1,
  localEpochs: 1,
  batchSize: 10,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
  reward: { policy: "loss-improvement", poolPerRound: "100" },
});

function round(lossOf: (w: Float32Array) => number) {
  const run = {
    runId: "run-x",
    config,
    policy: makePolicy(config.reward, { validationSize: 1000, seed: 1 }),
  } as unknown as RunState;
  const engine = {
    evaluateMany: async (_m: string, ws: Float32Array[]) =>
      ws.map((w) => ({ loss: lossOf(w), accuracy: 0, n: 1 })),
  } as unknown as TrainingEngine;
  const models = new Map([
    ["a", Float32Array.from([1])],
    ["b", Float32Array.from([2])],
  ]);
  const kept = [...models.keys()].map(
    (nodeId, i): AcceptedUpdate =>
      ({
        submission: {
          nodeId,
          wallet: `0x${String(i + 1).padStart(40, "0")}`,
          weights: models.get(nodeId)!,
          signed: { samples: 10, updateHash: `0x${"ab".repeat(32)}` },
        },
        outcome: { nodeId, accepted: true },
      }) as unknown as AcceptedUpdate,
  );
  const aggregation: AggregationResult = {
    model: Float32Array.from([1.5]),
    excluded: new Map(),
    scoringModel: (id) => models.get(id)!,
  };
  return scoreRound(run, 1, engine, Float32Array.from([0]), kept, aggregation);
}

describe("rewards: losses the ledger cannot hold", () => {
  it("converts every finite number exactly, without exponent strings", () => {
    expect(lossToFixed(1e21)).to.equal(10n ** 39n);
    // Exact: the double nearest 5.858216815531082e41 is an integer; times 10^18.
    expect(lossToFixed(5.858216815531082e41)).to.equal(BigInt(5.858216815531082e41) * 10n ** 18n);
    expect(lossToFixed(-2.5)).to.equal(-25n * 10n ** 17n);
    // The exact binary value, rounded half away from zero: what toFixed(18) prints below 1e21.
    for (const x of [0.1, 2.302585, 1 / 3, 5e-19, 1.5e-18, 123456.789, 9.99e20, Number.MIN_VALUE]) {
      const [whole, frac] = x.toFixed(18).split(".");
      expect(lossToFixed(x), String(x)).to.equal(BigInt(whole!) * 10n ** 18n + BigInt(frac!));
    }
    expect(() => lossToFixed(Number.NaN)).to.throw(RangeError, /finite/);
  });

  it("says why a loss cannot go on chain", () => {
    expect(recordableLoss(2)).to.deep.equal({ fixed: 2n * 10n ** 18n });
    expect(recordableLoss(3.4e20)).to.have.property("fixed");
    expect(MAX_FIXED_LOSS).to.equal(2n ** 128n - 1n);
    expect(recordableLoss(3.5e20))
      .to.have.property("reason")
      .match(/uint128/);
    expect(recordableLoss(Number.NaN))
      .to.have.property("reason")
      .match(/not finite/);
    expect(recordableLoss(-1))
      .to.have.property("reason")
      .match(/negative/);
  });

  for (const [label, bad] of [
    ["1e21 (toFixed gives an exponent string)", 1e21],
    ["5.858216815531082e41 (the reported crash)", 5.858216815531082e41],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["just over uint128 / 1e18", 3.5e20],
  ] as const) {
    it(`a validation loss of ${label} zeroes the round's scores with a reason`, async () => {
      // The start model's loss is fine; node b's update alone has the bad loss.
      const scored = await round((w) => (w[0] === 2 ? bad : w[0] === 0 ? 2 : 1));
      expect(scored.onChain.map((c) => c.reward)).to.deep.equal(["0", "0"]);
      for (const c of scored.onChain) {
        expect(c.lossBefore).to.equal(c.lossAfter);
        expect(BigInt(c.lossBefore) < 2n ** 128n).to.equal(true);
      }
      for (const c of scored.contributions) {
        expect(c.score).to.equal(0);
        expect(Number.isFinite(c.lossBefore) && Number.isFinite(c.lossAfter)).to.equal(true);
      }
      expect(scored.reason).to.match(/not recordable/);
    });
  }
});
