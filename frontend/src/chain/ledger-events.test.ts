import { describe, expect, it } from "vitest";
import {
  makePolicy,
  policyId,
  encodePolicyParams,
  splitRewards,
} from "../../../backend/src/rewards/reward-policy";
import {
  auditLedger,
  type ChainContribution,
  type ChainRound,
  type ChainRun,
} from "./ledger-events";

const RUN = `0x${"11".repeat(32)}` as const;
const TX = `0x${"aa".repeat(32)}` as const;
const policy = makePolicy("loss-improvement", "100", {
  validationSize: 500,
  permutations: 20,
  seed: 1,
});
const run: ChainRun = {
  chainRunId: RUN,
  policyId: policyId("loss-improvement"),
  policyParams: encodePolicyParams(policy),
  policy,
  txHash: TX,
  blockNumber: 1n,
};

function contribution(
  i: number,
  samples: bigint,
  before: bigint,
  after: bigint,
  reward: bigint,
): ChainContribution {
  return {
    chainRunId: RUN,
    round: 1,
    node: `0x${String(i).repeat(40)}` as `0x${string}`,
    samples,
    lossBefore: before,
    lossAfter: after,
    updateHash: `0x${"00".repeat(32)}`,
    reward,
    txHash: TX,
    blockNumber: 2n,
    logIndex: i,
  };
}

const E18 = 10n ** 18n;
const items = [
  { samples: 100, lossBefore: 2n * E18, lossAfter: E18 },
  { samples: 300, lossBefore: 2n * E18, lossAfter: (3n * E18) / 2n },
];
const rewards = splitRewards(policy, items);
const contributions = items.map((c, i) =>
  contribution(i + 1, BigInt(c.samples), c.lossBefore, c.lossAfter, rewards[i]!),
);
const round: ChainRound = {
  chainRunId: RUN,
  round: 1,
  modelHash: `0x${"22".repeat(32)}`,
  contributions: 2n,
  totalReward: rewards[0]! + rewards[1]!,
  txHash: TX,
  blockNumber: 2n,
};

describe("auditLedger", () => {
  it("re-derives the rewards of a round from its events", () => {
    const audit = auditLedger({ contributions, rounds: [round], runs: [run] });
    expect(audit).toMatchObject({
      contributions: 2,
      rounds: 1,
      formulaMismatches: 0,
      roundTotalMismatches: 0,
      ok: true,
    });
    expect(audit.totalReward).toBe(round.totalReward);
  });

  it("flags a reward that does not follow the formula and a round total that disagrees", () => {
    const tampered = [
      contributions[0]!,
      { ...contributions[1]!, reward: contributions[1]!.reward + 1n },
    ];
    const audit = auditLedger({ contributions: tampered, rounds: [round], runs: [run] });
    expect(audit.formulaMismatches).toBe(1);
    expect(audit.roundTotalMismatches).toBe(1);
    expect(audit.ok).toBe(false);
  });

  it("cannot vouch for a run without a registered policy", () => {
    const audit = auditLedger({ contributions, rounds: [round], runs: [] });
    expect(audit.runsWithoutPolicy).toBe(1);
    expect(audit.ok).toBe(false);
  });
});
