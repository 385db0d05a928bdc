// Deploys the FedLedger contracts with Hardhat Ignition to the chain at CHAIN_RPC_URL (the local
// Hardhat node by default) and writes chain/deployments/<chainId>.json for the coordinator and the
// dashboard. The local chain starts empty every time, so each start deploys afresh.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { deployFedLedger } from "../chain/deploy-fedledger.js";
import { writeDeployment } from "../chain/write-deployment.js";

const rpcUrl = process.env.CHAIN_RPC_URL ?? `http://127.0.0.1:${process.env.CHAIN_PORT ?? "8545"}`;

try {
  const deployment = await deployFedLedger({
    rpcUrl,
    ...(process.env.TOKEN_NAME ? { tokenName: process.env.TOKEN_NAME } : {}),
    ...(process.env.TOKEN_SYMBOL ? { tokenSymbol: process.env.TOKEN_SYMBOL } : {}),
  });
  let file: string;
  if (process.env.DEPLOYMENT_FILE) {
    file = path.resolve(process.env.DEPLOYMENT_FILE);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(deployment, null, 2) + "\n");
  } else {
    file = writeDeployment(deployment);
  }
  console.log(`RewardToken        ${deployment.contracts.RewardToken.address}`);
  console.log(`ContributionLedger ${deployment.contracts.ContributionLedger.address}`);
  console.log(`deployment written to ${file}`);
} catch (err) {
  console.error(`deploy failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
