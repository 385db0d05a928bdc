// The zero-score rule: what a recorded round does not pay goes on to the run's next recorded
// round, in the coordinator (splitRewards) and in the audit alike; runs registered before the rule
// (v1 parameters) keep theirs.
import { expect } from "chai";
import path from "node:path";
import { encodeAbiParameters, parseUnits, type Hex } from "viem";
import { auditLedger } from "../../backend/src/audit/ledger-audit.js";
import type {
  ChainContribution,
  ChainRound,
  LedgerSnapshot,
} from "../../backend/src/chain/ledger-events.js";
import {
  decodePolicy,
  encodePolicyParams,
  makePolicy,
  policyId,
  splitRewards,
  type RewardPolicy,
  type ScoredContribution,
} from "../../backend/src/rewards/reward-policy.js";
import { restoreCarriedPool } from "../../backend/src/rounds/score-contributions.js";
import { migrate } from "../../backend/src/store/migrations.js";
import { contributionsRepo } from "../../backend/src/store/repos/contributions-repo.js";
import { SqliteDatabase } from "../../backend/src/store/sqlite-database.js";
import { tempDir } from "../helpers/temp-dir.js";

const E18 = 10n ** 18n;
const POOL = parseUnits("100", 18);
const policy = makePolicy(
  { policy: "leave-one-out", poolPerRound: "100" },
  { validationSize: 1000, seed: 1 },
);
const legacy: RewardPolicy = { ...policy, zeroScoreRule: "none" };
const worse = { samples: 1, lossBefore: E18, lossAfter: 2n * E18 };
const better = (drop: bigint) => ({ samples: 1, lossBefore: 2n * E18, lossAfter: 2n * E18 - drop });

describe("rewards: the zero-score rule", () => {
  it("new runs carry a round's unpaid pool into the next recorded round", () => {
    expect(policy.zeroScoreRule).to.equal("carry-over");
    const r1 = splitRewards(policy, [worse, worse]);
    expect(r1.rewards).to.deep.equal([0n, 0n]);
    expect(r1.carry).to.equal(POOL);
    // A round nobody contributed to is not recorded: no pool of its own, the carry passes through.
    expect(splitRewards(policy, [], r1.carry)).to.deep.equal({
      rewards: [],
      pool: 0n,
      carry: POOL,
    });
    const r2 = splitRewards(policy, [better(E18), better(3n * E18)], r1.carry);
    expect(r2.pool).to.equal(2n * POOL);
    expect(r2.rewards).to.deep.equal([POOL / 2n, (3n * POOL) / 2n]);
    expect(r2.carry).to.equal(0n);
  });

  it("carries the floor division's dust too, so a run mints every pool but the last carry", () => {
    const odd = makePolicy(
      { policy: "leave-one-out", poolPerRound: "0.000000000000000010" },
      {
        validationSize: 1000,
        seed: 1,
      },
    );
    const r = splitRewards(odd, [better(1n), better(1n), better(1n)]);
    expect(r.rewards).to.deep.equal([3n, 3n, 3n]);
    expect(r.carry).to.equal(1n);
    expect(splitRewards(odd, [better(1n)], r.carry).rewards).to.deep.equal([11n]);
  });

  it("a resumed run restores the carry from its stored rounds", async () => {
    const db = new SqliteDatabase(path.join(tempDir("fl-carry-"), "s.sqlite"));
    try {
      await migrate(db);
      await db.execute(
        "INSERT INTO runs (id, name, config, status, created_at, updated_at) VALUES ('r', 'n', '{}', 'running', 0, 0)",
      );
      const stored = (round: number, rewards: bigint[]) =>
        contributionsRepo.insertMany(
          db,
          rewards.map((r, i) => ({
            runId: "r",
            round,
            nodeId: `n${i}`,
            wallet: `0x${String(i + 1).repeat(40)}`,
            samples: 1,
            lossBefore: 1,
            lossAfter: 1,
            score: 0,
            rewardWei: r.toString(),
            updateHash: "0x00",
            txHash: null,
          })),
        );
      // Round 1 paid everything but 1 wei of dust, rounds 2 and 4 nothing, round 3 had no update.
      await stored(1, [POOL / 2n, POOL / 2n - 1n]);
      await stored(2, [0n, 0n]);
      await stored(4, [0n]);
      expect(await restoreCarriedPool(db, "r", policy)).to.equal(2n * POOL + 1n);
      expect(await restoreCarriedPool(db, "r", legacy)).to.equal(0n);
      expect(await restoreCarriedPool(db, "new", policy)).to.equal(0n);
    } finally {
      await db.close();
    }
  });

  it("runs registered before the rule mint nothing for such a round", () => {
    const r = splitRewards(legacy, [worse], POOL);
    expect(r.rewards).to.deep.equal([0n]);
    expect(r.carry).to.equal(0n);
  });

  it("puts the rule and the policy's parameters on chain and reads old registrations", () => {
    const gtgLike = makePolicy(
      { policy: "shapley-mc", poolPerRound: "2.5", permutations: 20 },
      { validationSize: 1000, seed: 7 },
    );
    expect(gtgLike.params).to.deep.equal({ permutations: 20 });
    const back = decodePolicy(policyId("shapley-mc"), encodePolicyParams(gtgLike));
    expect(back).to.deep.equal(gtgLike);
    // A registration made before the rule: the five v1 words, as the old coordinator wrote them.
    const v1: Hex = encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "bool" },
        { type: "uint32" },
        { type: "uint32" },
        { type: "uint32" },
      ],
      [POOL, false, 1000, 20, 7],
    );
    expect(decodePolicy(policyId("shapley-mc"), v1)).to.deep.equal({
      ...gtgLike,
      poolPerRoundWei: POOL,
      zeroScoreRule: "none",
      params: {},
    });
    // …and the legacy rule encodes back to exactly those v1 bytes.
    expect(
      encodePolicyParams({ ...gtgLike, poolPerRoundWei: POOL, zeroScoreRule: "none", params: {} }),
    ).to.equal(v1);
  });
});

describe("the audit applies the zero-score rule", () => {
  const RUN = `0x${"11".repeat(32)}` as const;
  const TX = (k: number) => `0x${String(k).padStart(64, "0")}` as Hex;

  /** A snapshot of rounds with the given contributions and rewards as recorded. */
  function snapshot(p: RewardPolicy, rounds: { items: ScoredContribution[]; rewards: bigint[] }[]) {
    const contributions: ChainContribution[] = [];
    const chainRounds: ChainRound[] = [];
    let supply = 0n;
    rounds.forEach(({ items, rewards }, r) => {
      items.forEach((c, i) =>
        contributions.push({
          chainRunId: RUN,
          round: r + 1,
          node: `0x${String(i + 1).repeat(40)}`,
          samples: BigInt(c.samples),
          lossBefore: c.lossBefore,
          lossAfter: c.lossAfter,
          updateHash: `0x${"00".repeat(32)}`,
          reward: rewards[i]!,
          txHash: TX(r + 1),
          blockNumber: BigInt(r + 2),
          logIndex: i,
        }),
      );
      const total = rewards.reduce((s, x) => s + x, 0n);
      supply += total;
      chainRounds.push({
        chainRunId: RUN,
        round: r + 1,
        modelHash: `0x${"22".repeat(32)}`,
        contributions: BigInt(items.length),
        totalReward: total,
        txHash: TX(r + 1),
        blockNumber: BigInt(r + 2),
      });
    });
    const snap: LedgerSnapshot = {
      contributions,
      rounds: chainRounds.reverse(), // the audit orders them itself
      runs: [
        {
          chainRunId: RUN,
          policyId: policyId(p.name),
          policyParams: encodePolicyParams(p),
          policy: decodePolicy(policyId(p.name), encodePolicyParams(p)),
          specHash: `0x${"0".repeat(64)}`,
          txHash: TX(99),
          blockNumber: 1n,
        },
      ],
      claims: [],
      mints: chainRounds.map((r) => ({ amount: r.totalReward, txHash: r.txHash })),
      totals: { supply, totalRecorded: supply, ledgerBalance: supply },
      blockNumber: 10n,
    };
    return auditLedger(snap, { chainRunId: RUN });
  }
  const failed = (r: ReturnType<typeof auditLedger>) =>
    r.checks.filter((c) => !c.ok).map((c) => c.id);

  it("passes a run whose second round paid the first round's pool too", () => {
    const items = [better(E18), better(E18)];
    const report = snapshot(policy, [
      { items: [worse, worse], rewards: [0n, 0n] },
      { items, rewards: [POOL, POOL] },
    ]);
    expect(failed(report)).to.deep.equal([]);
    expect(report.totalReward).to.equal(2n * POOL);
  });

  it("flags a round that kept the carried pool, and one that paid it under the old rule", () => {
    const items = [better(E18), better(E18)];
    const kept = snapshot(policy, [
      { items: [worse], rewards: [0n] },
      { items, rewards: [POOL / 2n, POOL / 2n] },
    ]);
    expect(failed(kept)).to.deep.equal(["formula"]);
    const old = snapshot(legacy, [
      { items: [worse], rewards: [0n] },
      { items, rewards: [POOL, POOL] },
    ]);
    expect(failed(old)).to.deep.equal(["formula", "within-pool"]);
  });
});
