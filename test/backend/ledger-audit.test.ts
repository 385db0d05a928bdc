import { expect } from "chai";
import { auditLedger } from "../../backend/src/audit/ledger-audit.js";
import type {
  ChainContribution,
  ChainRound,
  ChainRun,
  LedgerSnapshot,
} from "../../backend/src/chain/ledger-events.js";
import {
  encodePolicyParams,
  makePolicy,
  policyId,
  splitRewards,
} from "../../backend/src/rewards/reward-policy.js";

// The pure audit shared by `npm run audit` and the Ledger page, on hand-made snapshots.
const RUN = `0x${"11".repeat(32)}` as const;
const OTHER = `0x${"33".repeat(32)}` as const;
const TX = `0x${"aa".repeat(32)}` as const;
const E18 = 10n ** 18n;
const policy = makePolicy(
  { policy: "loss-improvement", poolPerRound: "100" },
  { validationSize: 500, seed: 1 },
);
const run: ChainRun = {
  chainRunId: RUN,
  policyId: policyId("loss-improvement"),
  policyParams: encodePolicyParams(policy),
  specHash: `0x${"00".repeat(32)}`,
  policy,
  txHash: TX,
  blockNumber: 1n,
};
const items = [
  { samples: 100, lossBefore: 2n * E18, lossAfter: E18 },
  { samples: 300, lossBefore: 2n * E18, lossAfter: (3n * E18) / 2n },
];
const rewards = splitRewards(policy, items);
const contributions: ChainContribution[] = items.map((c, i) => ({
  chainRunId: RUN,
  round: 1,
  node: `0x${String(i + 1).repeat(40)}`,
  samples: BigInt(c.samples),
  lossBefore: c.lossBefore,
  lossAfter: c.lossAfter,
  updateHash: `0x${"00".repeat(32)}`,
  reward: rewards[i]!,
  txHash: TX,
  blockNumber: 2n,
  logIndex: i,
}));
const total = rewards[0]! + rewards[1]!;
const round: ChainRound = {
  chainRunId: RUN,
  round: 1,
  modelHash: `0x${"22".repeat(32)}`,
  contributions: 2n,
  totalReward: total,
  txHash: TX,
  blockNumber: 2n,
};

function snapshot(over: Partial<LedgerSnapshot> = {}): LedgerSnapshot {
  return {
    contributions,
    rounds: [round],
    runs: [run],
    claims: [],
    mints: [{ amount: total, txHash: TX }],
    totals: { supply: total, totalRecorded: total, ledgerBalance: total },
    blockNumber: 3n,
    ...over,
  };
}

const failed = (r: ReturnType<typeof auditLedger>) =>
  r.checks.filter((c) => !c.ok).map((c) => c.id);

describe("ledger audit (pure: the CLI and the Ledger page run it)", () => {
  it("passes a consistent ledger and re-derives its totals", () => {
    const r = auditLedger(snapshot(), { chainRunId: RUN });
    expect(failed(r)).to.deep.equal([]);
    expect(r).to.include({ contributions: 2, rounds: 1, ok: true });
    expect(r.totalReward).to.equal(total);
    expect(r.policy?.name).to.equal("loss-improvement");
  });

  it("flags a reward off the formula and a round total that disagrees", () => {
    const tampered = [contributions[0]!, { ...contributions[1]!, reward: rewards[1]! + 1n }];
    const r = auditLedger(snapshot({ contributions: tampered }), { chainRunId: RUN });
    expect(failed(r)).to.include.members(["formula", "round-totals"]);
  });

  it("flags a round whose rewards were not all minted, and a supply the events do not explain", () => {
    const r = auditLedger(
      snapshot({
        mints: [{ amount: total - 1n, txHash: TX }],
        totals: { supply: total - 1n, totalRecorded: total, ledgerBalance: total },
      }),
    );
    expect(failed(r)).to.include.members(["minted", "supply"]);
  });

  it("checks the ledger balance against recorded minus claimed", () => {
    const claims = [
      { node: contributions[0]!.node, amount: rewards[0]!, txHash: TX, blockNumber: 3n },
    ];
    expect(failed(auditLedger(snapshot({ claims })))).to.include("ledger-balance");
    const paid = snapshot({
      claims,
      totals: { supply: total, totalRecorded: total, ledgerBalance: total - rewards[0]! },
    });
    expect(failed(auditLedger(paid))).to.deep.equal([]);
  });

  it("cannot vouch for a run without a registered policy", () => {
    const r = auditLedger(snapshot({ runs: [] }), { chainRunId: RUN });
    expect(failed(r)).to.include.members(["run-registered", "formula"]);
  });

  it("scopes to one run but keeps the ledger-wide invariants", () => {
    const r = auditLedger(snapshot(), { chainRunId: OTHER });
    expect(r.contributions).to.equal(0);
    expect(failed(r)).to.deep.equal(["run-registered"]);
  });

  it("compares with the store contribution by contribution, and by totals", () => {
    const stored = contributions.map((c) => ({
      round: c.round,
      wallet: c.node,
      rewardWei: c.reward.toString(),
      updateHash: c.updateHash,
      samples: Number(c.samples),
      txHash: c.txHash as string | null,
    }));
    const ok = auditLedger(snapshot(), {
      chainRunId: RUN,
      store: { contributions: stored, rounds: [{ round: 1, modelHash: round.modelHash }] },
    });
    expect(failed(ok)).to.deep.equal([]);
    const wrong = auditLedger(snapshot(), {
      chainRunId: RUN,
      store: {
        contributions: [{ ...stored[0]!, rewardWei: "1" }, stored[1]!],
        rounds: [{ round: 1, modelHash: `0x${"44".repeat(32)}` }],
        totals: { recordedWei: "5", pendingWei: "0" },
      },
    });
    expect(failed(wrong)).to.deep.equal([
      "store-contributions",
      "store-model-hashes",
      "store-totals",
    ]);
  });
});
