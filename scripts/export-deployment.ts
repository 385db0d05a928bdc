// `npm run deployment:export -- --chain <chainId> [--network <name>]`: after
// `npx hardhat ignition deploy … --network sepolia`, writes chain/deployments/<chainId>.json (the
// file the coordinator and the dashboard read) from Ignition's own record of that deployment:
// addresses from deployed_addresses.json, the deploy block from the journal's receipt. It writes no
// RPC URL: provider URLs carry API keys, and the file is meant to be committed.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DeploymentSchema } from "../chain/deployment-schema.js";
import { writeDeployment } from "../chain/write-deployment.js";

const { values } = parseArgs({
  options: {
    chain: { type: "string" },
    network: { type: "string" },
    "deployment-id": { type: "string" },
  },
});

function fail(message: string): never {
  console.error(`deployment:export: ${message}`);
  process.exit(1);
}

const chainId = Number(values.chain);
if (!Number.isInteger(chainId) || chainId <= 0)
  fail("usage: npm run deployment:export -- --chain <chainId> [--network sepolia]");
const dir = path.resolve(
  import.meta.dirname,
  "..",
  "ignition",
  "deployments",
  values["deployment-id"] ?? `chain-${chainId}`,
);

let addresses: Record<string, string>;
try {
  addresses = JSON.parse(readFileSync(path.join(dir, "deployed_addresses.json"), "utf8")) as Record<
    string,
    string
  >;
} catch (err) {
  fail(`no Ignition deployment at ${dir}: ${(err as Error).message}`);
}
const ledger = addresses["FedLedger#ContributionLedger"];
const token = addresses["FedLedger#RewardToken"];
if (!ledger || !token) fail(`${dir}/deployed_addresses.json lacks the FedLedger contracts`);

// The ledger's creation receipt gives the block every FedLedger event is at or after.
let deployBlock: number | undefined;
for (const line of readFileSync(path.join(dir, "journal.jsonl"), "utf8").split("\n")) {
  if (!line.includes('"TRANSACTION_CONFIRM"')) continue;
  const entry = JSON.parse(line) as {
    futureId: string;
    receipt?: { blockNumber: number; contractAddress?: string };
  };
  if (entry.futureId === "FedLedger#ContributionLedger" && entry.receipt)
    deployBlock = entry.receipt.blockNumber;
}
if (deployBlock === undefined) fail(`the journal in ${dir} has no confirmed ledger deployment`);

const deployment = DeploymentSchema.parse({
  chainId,
  network: values.network ?? (chainId === 11155111 ? "sepolia" : `chain-${chainId}`),
  deployedAt: new Date().toISOString(),
  contracts: {
    RewardToken: { address: token, deployBlock },
    ContributionLedger: { address: ledger, deployBlock },
  },
});
const file = writeDeployment(deployment);
console.log(`ContributionLedger ${ledger}\nRewardToken        ${token}\nfrom block ${deployBlock}`);
console.log(`written to ${file}`);
