// Randomized (seeded, reproducible) sequences of registrations, runs, rounds, claims and pauses
// against the ContributionLedger, valid and invalid alike. A plain TypeScript model predicts every
// outcome (success or the exact custom error); after every step both invariants are checked on chain:
//   token.totalSupply() == totalRecorded == sum of every recorded reward
//   token.balanceOf(ledger) == sum of claimable(wallet)       (everything unclaimed)
// and at the end the totals are re-derived from events alone, as an auditor would.
// FUZZ_SEEDS=1,2,3 and FUZZ_STEPS=200 override the defaults; FUZZ_VERBOSE=1 prints what ran.
import { expect } from "chai";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";
import type { ContributionLedger, RewardToken } from "../../types/ethers-contracts/index.js";

const { ethers, networkHelpers } = await network.create();

const SEEDS = (process.env.FUZZ_SEEDS ?? "20261122,7,42")
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n));
const STEPS = Number(process.env.FUZZ_STEPS ?? 60);
const E18 = 10n ** 18n;
const RECORDER_ROLE = ethers.id("RECORDER_ROLE");
const REGISTRATION_TYPES = {
  RegisterNode: [
    { name: "nodeId", type: "bytes32" },
    { name: "wallet", type: "address" },
    { name: "deadline", type: "uint256" },
  ],
};

/** mulberry32: a tiny seeded PRNG, good enough to drive test sequences reproducibly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
    bigint: (max: bigint) => (BigInt(Math.floor(next() * 2 ** 52)) * max) / 2n ** 52n,
  };
}

interface Model {
  registered: Map<string, string>; // wallet -> nodeId
  runs: Map<string, { lastRound: number | null; recorded: Set<number> }>;
  claimable: Map<string, bigint>;
  claimed: Map<string, bigint>;
  totalRecorded: bigint;
  paused: boolean;
}

async function deploy() {
  const signers = await ethers.getSigners();
  const [admin, recorder, relayer] = signers;
  if (!admin || !recorder || !relayer || signers.length < 14) throw new Error("need 14 accounts");
  const ledger = await ethers.deployContract("ContributionLedger", [
    "FedLedger Reward",
    "FLR",
    admin.address,
    recorder.address,
  ]);
  const token = await ethers.getContractAt("RewardToken", await ledger.token());
  // Wallets 3..12 may become nodes; 13 never registers (a stranger to the ledger).
  return { ledger, token, admin, recorder, relayer, pool: signers.slice(3, 14) };
}

type Outcome = { ok: true } | { error: string };

async function expectOutcome(
  ledger: ContributionLedger,
  tx: Promise<ContractTransactionResponse>,
  outcome: Outcome,
  label: string,
): Promise<void> {
  if ("error" in outcome) {
    await expect(tx, label).to.be.revertedWithCustomError(ledger, outcome.error);
  } else {
    const receipt = await (await tx).wait();
    expect(receipt?.status, label).to.equal(1);
  }
}

async function checkInvariants(
  ledger: ContributionLedger,
  token: RewardToken,
  wallets: HardhatEthersSigner[],
  model: Model,
  label: string,
): Promise<void> {
  const ledgerAddress = await ledger.getAddress();
  let unclaimed = 0n;
  for (const w of wallets) {
    const claimable = await ledger.claimable(w.address);
    expect(claimable, `${label}: claimable(${w.address})`).to.equal(
      model.claimable.get(w.address) ?? 0n,
    );
    expect(await ledger.totalClaimed(w.address), `${label}: totalClaimed`).to.equal(
      model.claimed.get(w.address) ?? 0n,
    );
    expect(await token.balanceOf(w.address), `${label}: wallet balance`).to.equal(
      model.claimed.get(w.address) ?? 0n,
    );
    unclaimed += claimable;
  }
  const supply = await token.totalSupply();
  expect(supply, `${label}: totalSupply == model`).to.equal(model.totalRecorded);
  expect(await ledger.totalRecorded(), `${label}: totalRecorded == totalSupply`).to.equal(supply);
  expect(await token.balanceOf(ledgerAddress), `${label}: ledger balance == unclaimed`).to.equal(
    unclaimed,
  );
  expect(await ledger.paused(), `${label}: paused`).to.equal(model.paused);
}

async function runSequence(seed: number): Promise<Record<string, number>> {
  const rnd = prng(seed);
  const { ledger, token, admin, recorder, relayer, pool } = await deploy();
  const stats: Record<string, number> = {};
  const count = (key: string) => (stats[key] = (stats[key] ?? 0) + 1);
  const model: Model = {
    registered: new Map(),
    runs: new Map(),
    claimable: new Map(),
    claimed: new Map(),
    totalRecorded: 0n,
    paused: false,
  };
  const { chainId } = await ethers.provider.getNetwork();
  const domain = {
    name: "FedLedger",
    version: "1",
    chainId,
    verifyingContract: await ledger.getAddress(),
  };
  const nodePool = pool.slice(0, -1);
  let nextNode = 0;
  let nextRun = 0;

  for (let step = 0; step < STEPS; step++) {
    const label = `seed ${seed} step ${step}`;
    const op = rnd.next();

    if ((model.paused && rnd.chance(0.5)) || (!model.paused && op > 0.96)) {
      // Pause or resume (paused spells are kept short so the other paths get exercised).
      await expectOutcome(
        ledger,
        model.paused ? ledger.connect(admin).unpause() : ledger.connect(admin).pause(),
        { ok: true },
        `${label} pause toggle`,
      );
      model.paused = !model.paused;
      count(model.paused ? "pause" : "unpause");
    } else if (op < 0.2) {
      // Node registration, sometimes forged or a rebinding attempt.
      const unregistered = nodePool.filter((w) => !model.registered.has(w.address));
      const wallet = rnd.pick(unregistered.length > 0 && rnd.chance(0.8) ? unregistered : nodePool);
      const forged = rnd.chance(0.25);
      const signer = forged ? rnd.pick(pool.filter((w) => w !== wallet)) : wallet;
      const reuseId = model.registered.size > 0 && rnd.chance(0.15);
      const nodeId = reuseId
        ? rnd.pick([...model.registered.values()])
        : ethers.id(`seed${seed}:node${nextNode++}`);
      const deadline = BigInt((await networkHelpers.time.latest()) + 3600);
      const signature = await signer.signTypedData(domain, REGISTRATION_TYPES, {
        nodeId,
        wallet: wallet.address,
        deadline,
      });
      let outcome: Outcome = { ok: true };
      if (reuseId) outcome = { error: "NodeAlreadyRegistered" };
      else if (model.registered.has(wallet.address)) outcome = { error: "WalletAlreadyRegistered" };
      else if (forged) outcome = { error: "InvalidRegistrationSignature" };
      await expectOutcome(
        ledger,
        ledger.connect(relayer).registerNode(nodeId, wallet.address, deadline, signature),
        outcome,
        `${label} registerNode`,
      );
      if ("ok" in outcome) model.registered.set(wallet.address, nodeId);
      count("ok" in outcome ? "register" : `register:${outcome.error}`);
    } else if (op < 0.3 || model.runs.size === 0) {
      const runId = ethers.id(`seed${seed}:run${nextRun++}`);
      const outcome: Outcome = model.paused ? { error: "EnforcedPause" } : { ok: true };
      await expectOutcome(
        ledger,
        ledger
          .connect(recorder)
          .registerRun(runId, ethers.id("loss-improvement/v1"), "0x", ethers.ZeroHash),
        outcome,
        `${label} registerRun`,
      );
      if ("ok" in outcome) model.runs.set(runId, { lastRound: null, recorded: new Set() });
      count("ok" in outcome ? "registerRun" : "registerRun:EnforcedPause");
    } else if (op < 0.65) {
      // Record a round: usually valid, sometimes with one planted fault.
      const unauthorized = rnd.chance(0.05);
      const unknownRun = rnd.chance(0.05);
      const runId = unknownRun ? ethers.id(`seed${seed}:ghost`) : rnd.pick([...model.runs.keys()]);
      const run = model.runs.get(runId);
      let round: number;
      const fault = rnd.next();
      if (run?.lastRound != null && fault < 0.08)
        round = run.lastRound; // duplicate
      else if (run?.lastRound != null && run.lastRound > 0 && fault < 0.14) {
        round = rnd.int(run.lastRound); // lower: duplicate or not increasing
      } else round = (run?.lastRound ?? -1) + 1 + rnd.int(3);

      const registered = nodePool.filter((w) => model.registered.has(w.address));
      const chosen = registered.filter(() => rnd.chance(0.6));
      const contributions = chosen.map((w) => ({
        node: w.address,
        samples: BigInt(100 + rnd.int(5000)),
        lossBefore: rnd.bigint(3n * E18),
        lossAfter: rnd.bigint(3n * E18),
        updateHash: ethers.id(`seed${seed}:${step}:${w.address}`),
        reward: rnd.chance(0.2) ? 0n : rnd.bigint(10n * E18),
      }));
      const planted = rnd.next();
      if (planted < 0.07) {
        const outsider = rnd.pick(pool.filter((w) => !model.registered.has(w.address)));
        contributions.splice(rnd.int(contributions.length + 1), 0, {
          node: outsider.address,
          samples: 1n,
          lossBefore: 0n,
          lossAfter: 0n,
          updateHash: ethers.ZeroHash,
          reward: E18,
        });
      } else if (contributions.length > 0 && planted < 0.14) {
        const dup = { ...rnd.pick(contributions), reward: 1n };
        contributions.splice(rnd.int(contributions.length + 1), 0, dup);
      }

      let outcome: Outcome = { ok: true };
      if (unauthorized) outcome = { error: "AccessControlUnauthorizedAccount" };
      else if (model.paused) outcome = { error: "EnforcedPause" };
      else if (run === undefined) outcome = { error: "RunNotRegistered" };
      else if (run.lastRound !== null && round <= run.lastRound) {
        outcome = {
          error: run.recorded.has(round) ? "RoundAlreadyRecorded" : "RoundNotIncreasing",
        };
      } else {
        const seen = new Set<string>();
        for (const c of contributions) {
          if (seen.has(c.node)) {
            outcome = { error: "DuplicateContribution" };
            break;
          }
          seen.add(c.node);
          if (!model.registered.has(c.node)) {
            outcome = { error: "NodeNotRegistered" };
            break;
          }
        }
      }
      const caller = unauthorized ? rnd.pick(pool) : recorder;
      await expectOutcome(
        ledger,
        ledger.connect(caller).recordRound(runId, round, ethers.id(`model:${step}`), contributions),
        outcome,
        `${label} recordRound`,
      );
      if ("ok" in outcome && run !== undefined) {
        run.lastRound = round;
        run.recorded.add(round);
        for (const c of contributions) {
          model.claimable.set(c.node, (model.claimable.get(c.node) ?? 0n) + c.reward);
          model.totalRecorded += c.reward;
        }
      }
      count("ok" in outcome ? "recordRound" : `recordRound:${outcome.error}`);
    } else {
      // Claims by nodes and strangers: partial, full, zero and too much.
      const owed = pool.filter((w) => (model.claimable.get(w.address) ?? 0n) > 0n);
      const wallet = rnd.pick(owed.length > 0 && rnd.chance(0.7) ? owed : pool);
      const available = model.claimable.get(wallet.address) ?? 0n;
      const all = rnd.chance(0.35);
      let amount = 0n;
      if (!all) {
        const kind = rnd.next();
        if (kind < 0.1) amount = 0n;
        else if (kind < 0.25 || available === 0n) amount = available + 1n + rnd.bigint(E18);
        else amount = 1n + rnd.bigint(available - 1n);
      }
      let outcome: Outcome = { ok: true };
      if (model.paused) outcome = { error: "EnforcedPause" };
      else if (all && available === 0n) outcome = { error: "NothingToClaim" };
      else if (!all && amount === 0n) outcome = { error: "ZeroClaim" };
      else if (!all && amount > available) outcome = { error: "InsufficientClaimable" };
      const asWallet = ledger.connect(wallet);
      await expectOutcome(
        ledger,
        all ? asWallet.claimAll() : asWallet.claim(amount),
        outcome,
        `${label} claim`,
      );
      if ("ok" in outcome) {
        const paid = all ? available : amount;
        model.claimable.set(wallet.address, available - paid);
        model.claimed.set(wallet.address, (model.claimed.get(wallet.address) ?? 0n) + paid);
      }
      count("ok" in outcome ? (all ? "claimAll" : "claim") : `claim:${outcome.error}`);
    }

    await checkInvariants(ledger, token, pool, model, label);
  }

  // The auditor's view: every total re-derived from events alone.
  const recorded = await ledger.queryFilter(ledger.filters.ContributionRecorded());
  const mints = await token.queryFilter(token.filters.Transfer(ethers.ZeroAddress));
  const claims = await ledger.queryFilter(ledger.filters.Claimed());
  const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
  const supply = await token.totalSupply();
  expect(sum(recorded.map((e) => e.args.reward))).to.equal(supply);
  expect(sum(mints.map((e) => e.args.value))).to.equal(supply);
  expect(mints.length).to.equal(recorded.filter((e) => e.args.reward > 0n).length);
  expect(supply - sum(claims.map((e) => e.args.amount))).to.equal(
    await token.balanceOf(await ledger.getAddress()),
  );
  expect(await ledger.hasRole(RECORDER_ROLE, recorder.address)).to.equal(true);
  return stats;
}

describe("ContributionLedger invariants (seeded random sequences)", function () {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${STEPS} random operations keep supply == recorded and held == unclaimed`, async function () {
      const stats = await runSequence(seed);
      if (process.env.FUZZ_VERBOSE) console.log(`      seed ${seed}:`, JSON.stringify(stats));
      if (STEPS < 50) return;
      // The sequence must exercise the interesting paths, not only the happy ones.
      expect(stats.recordRound ?? 0, JSON.stringify(stats)).to.be.greaterThan(3);
      expect((stats.claim ?? 0) + (stats.claimAll ?? 0), JSON.stringify(stats)).to.be.greaterThan(
        0,
      );
      expect(
        Object.keys(stats).filter((k) => k.includes(":")).length,
        JSON.stringify(stats),
      ).to.be.greaterThan(2);
    });
  }
});
