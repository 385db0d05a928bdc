// `npm run bench:gas`: gas of the FedLedger contracts on Hardhat's in-process simulated chain (EDR),
// printed as one JSON document on stdout. Every number is a receipt's gasUsed, so it includes the
// 21,000 base cost and the calldata; per-contribution figures are a round's total divided by its
// contribution count (amortized).
//
// "firstTime" rounds credit wallets that were registered but never credited before; "steadyState"
// rounds credit the same wallets again. Global slots (total supply, the ledger's token balance,
// totalRecorded) are warmed by one round beforehand, as they are after a deployment's first round.
// Targets: <= 35,000 gas per contribution at 10 per round, <= 60,000 gas per claim.
import os from "node:os";
import { createRequire } from "node:module";
import hre, { network } from "hardhat";
import type { ContractTransactionResponse, Signer } from "ethers";

const require = createRequire(import.meta.url);

const ROUND_SIZES = [1, 10, 100] as const;
const TARGET_PER_CONTRIBUTION_AT_10 = 35_000;
const TARGET_CLAIM = 60_000;

const { ethers } = await network.create();
const [deployer] = await ethers.getSigners();
if (deployer === undefined) throw new Error("no signer on the simulated chain");

const ledger = await ethers.deployContract("ContributionLedger", [
  "FedLedger Reward",
  "FLR",
  deployer.address,
  deployer.address,
]);
await ledger.waitForDeployment();
const ledgerAddress = await ledger.getAddress();
const { chainId } = await ethers.provider.getNetwork();

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was not mined");
  return Number(receipt.gasUsed);
}

/** Deterministic wallets (never funded: they sign registrations, the deployer relays them). */
function makeWallets(count: number, tag: string): Signer[] {
  return Array.from(
    { length: count },
    (_, i) =>
      new ethers.Wallet(ethers.keccak256(ethers.toUtf8Bytes(`bench:${tag}:${i}`)), ethers.provider),
  );
}

const deadline = 2n ** 64n;
const registrationTypes = {
  RegisterNode: [
    { name: "nodeId", type: "bytes32" },
    { name: "wallet", type: "address" },
    { name: "deadline", type: "uint256" },
  ],
};
const domain = { name: "FedLedger", version: "1", chainId, verifyingContract: ledgerAddress };

let nodeCounter = 0;
async function register(wallet: Signer): Promise<number> {
  const address = await wallet.getAddress();
  const nodeId = ethers.keccak256(ethers.toUtf8Bytes(`node-${nodeCounter++}`));
  const signature = await wallet.signTypedData(domain, registrationTypes, {
    nodeId,
    wallet: address,
    deadline,
  });
  return gasOf(ledger.registerNode(nodeId, address, deadline, signature));
}

// Realistic field sizes: ~1e18-scale losses, a few thousand samples, 32-byte hashes, ~1e18 rewards.
function contributionsFor(wallets: string[], round: number) {
  return wallets.map((node, i) => ({
    node,
    samples: 600n + BigInt(i),
    lossBefore: 2_302_585_092_994_045_684n - BigInt(round) * 10n ** 15n,
    lossAfter: 2_100_000_000_000_000_000n - BigInt(i) * 10n ** 14n,
    updateHash: ethers.keccak256(ethers.toUtf8Bytes(`update:${round}:${node}`)),
    reward: 1_000_000_000_000_000_000n + BigInt(i) * 12_345_678_901n,
  }));
}

const runId = ethers.id("bench-run");
await (
  await ledger.registerRun(
    runId,
    ethers.id("loss-improvement/v1"),
    ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [10n ** 18n, 5n * 10n ** 17n]),
    ethers.id("bench-run spec"),
  )
).wait();

let round = 0;
async function recordRound(wallets: string[]): Promise<number> {
  round += 1;
  const modelHash = ethers.keccak256(ethers.toUtf8Bytes(`model:${round}`));
  return gasOf(ledger.recordRound(runId, round, modelHash, contributionsFor(wallets, round)));
}

// Registration: every wallet the benchmark uses.
const warmup = makeWallets(1, "warmup");
const groups = Object.fromEntries(ROUND_SIZES.map((n) => [n, makeWallets(n, `size${n}`)]));
const registrationGas: number[] = [];
for (const wallet of [...warmup, ...Object.values(groups).flat()]) {
  registrationGas.push(await register(wallet));
}

await recordRound([await warmup[0]!.getAddress()]);

const recordResult: Record<string, unknown> = {};
for (const n of ROUND_SIZES) {
  const addresses = await Promise.all(groups[n]!.map((w) => w.getAddress()));
  const first = await recordRound(addresses);
  const steady = await recordRound(addresses);
  recordResult[n] = {
    firstTime: { total: first, perContribution: Math.round(first / n) },
    steadyState: { total: steady, perContribution: Math.round(steady / n) },
  };
}

// Claims, from wallets of the 10-node group (funded for gas by the deployer).
const claimers = groups[10]!;
for (const w of claimers.slice(0, 4)) {
  await (await deployer.sendTransaction({ to: await w.getAddress(), value: 10n ** 18n })).wait();
}
const asClaimer = (w: Signer) => ledger.connect(w);
const part = 10n ** 17n;
const claimFirst = await gasOf(asClaimer(claimers[0]!).claim(part)); // holds no tokens yet
const claimRepeat = await gasOf(asClaimer(claimers[0]!).claim(part)); // holds tokens already
const claimAllFirst = await gasOf(asClaimer(claimers[1]!).claimAll());
await (await asClaimer(claimers[2]!).claim(part)).wait();
const claimAllRepeat = await gasOf(asClaimer(claimers[2]!).claimAll());

// Reference: a plain ERC-20 transfer of the same token to a wallet whose balance slot was never
// opened (20,000-gas zero-to-non-zero write) and to one that holds tokens. Registration opens the
// node wallet's slot (RewardToken.openAccount), so a node's first claim does not pay that write.
const token = await ethers.getContractAt("RewardToken", await ledger.token());
const holder = token.connect(claimers[0]!);
const transferToFresh = await gasOf(holder.transfer(ethers.Wallet.createRandom().address, 1n));
const transferToHolder = await gasOf(holder.transfer(await claimers[1]!.getAddress(), 1n));

const totalAt = (n: number) =>
  (recordResult[n] as { steadyState: { total: number } }).steadyState.total;
const marginal = Math.round((totalAt(100) - totalAt(10)) / 90);

const steadyAt10 = (recordResult[10] as { steadyState: { perContribution: number } }).steadyState
  .perContribution;
const firstAt10 = (recordResult[10] as { firstTime: { perContribution: number } }).firstTime
  .perContribution;

const cpus = os.cpus();
const report = {
  machine: {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    hardhat: (require("hardhat/package.json") as { version: string }).version,
    solc: hre.config.solidity.profiles.default?.compilers[0]?.version ?? "unknown",
    optimizerRuns:
      (
        hre.config.solidity.profiles.default?.compilers[0]?.settings as
          { optimizer?: { runs?: number } } | undefined
      )?.optimizer?.runs ?? null,
    chain: `EDR in-process (${hre.config.networks.default?.type ?? "edr-simulated"}, hardfork ${
      (hre.config.networks.default as { hardfork?: string } | undefined)?.hardfork ?? "default"
    })`,
  },
  note: "receipt gasUsed, 21,000 base and calldata included; perContribution = round total / contributions; marginalPerContribution = (total(100) - total(10)) / 90, steady state",
  recordRound: recordResult,
  marginalPerContribution: marginal,
  claim: { firstClaim: claimFirst, repeatClaim: claimRepeat },
  claimAll: { firstClaim: claimAllFirst, repeatClaim: claimAllRepeat },
  registerNode: {
    mean: Math.round(registrationGas.reduce((a, b) => a + b, 0) / registrationGas.length),
    min: Math.min(...registrationGas),
    max: Math.max(...registrationGas),
  },
  targets: {
    perContributionAt10: {
      limit: TARGET_PER_CONTRIBUTION_AT_10,
      steadyState: steadyAt10,
      firstTime: firstAt10,
      met:
        steadyAt10 <= TARGET_PER_CONTRIBUTION_AT_10 && firstAt10 <= TARGET_PER_CONTRIBUTION_AT_10,
    },
    claim: {
      limit: TARGET_CLAIM,
      firstClaim: claimFirst,
      repeatClaim: claimRepeat,
      claimAllFirst,
      claimAllRepeat,
      met: Math.max(claimFirst, claimRepeat, claimAllFirst, claimAllRepeat) <= TARGET_CLAIM,
      note: "registration (relayed and paid by the coordinator) opens the node wallet's token balance slot, so a first claim writes a non-zero slot like every later one",
    },
  },
  reference: {
    erc20TransferToFreshHolder: transferToFresh,
    erc20TransferToHolder: transferToHolder,
  },
};

console.log(JSON.stringify(report, null, 2));
