import { rmSync } from "node:fs";
import path from "node:path";
import hre from "hardhat";
import FedLedgerModule from "../ignition/modules/FedLedger.js";
import type { Deployment } from "./deployment-schema.js";

export interface DeployOptions {
  rpcUrl: string;
  tokenName?: string;
  tokenSymbol?: string;
}

/**
 * Deploys the FedLedger Ignition module to the chain at rpcUrl (the local Hardhat node) and returns
 * the deployment record that the coordinator and the dashboard read.
 */
export async function deployFedLedger(opts: DeployOptions): Promise<Deployment> {
  // hardhat.config.ts builds the "localhost" network from CHAIN_RPC_URL; Ignition does not honour
  // a connection's URL override, so the two must agree (scripts/deploy-local.ts sets both).
  const configured =
    process.env.CHAIN_RPC_URL ?? `http://127.0.0.1:${process.env.CHAIN_PORT ?? "8545"}`;
  if (configured !== opts.rpcUrl)
    throw new Error(
      `deployFedLedger: CHAIN_RPC_URL (${configured}) must equal rpcUrl (${opts.rpcUrl})`,
    );
  const connection = await hre.network.create({
    network: "localhost",
    override: { url: opts.rpcUrl },
  });
  try {
    const { ethers, ignition } = connection;
    const chainId = Number((await ethers.provider.getNetwork()).chainId);
    // Every event of these contracts is at or after this block: log scans start here.
    const fromBlock = await ethers.provider.getBlockNumber();
    // A local Hardhat node starts empty each time, but Ignition keeps its journal per chain id
    // and would answer "already deployed" with addresses that no longer exist. Each node
    // instance gets its own deployment id, and its journal is dropped once the deployment is
    // written where the coordinator and dashboard read it.
    const metadata = (await ethers.provider.send("hardhat_metadata", [])) as { instanceId: string };
    const deploymentId = `local-${metadata.instanceId.slice(2, 18)}`;
    const journalDir = path.join(hre.config.paths.ignition, "deployments", deploymentId);
    const { token, ledger } = await ignition.deploy(FedLedgerModule, {
      deploymentId,
      displayUi: false,
      parameters: {
        FedLedger: {
          tokenName: opts.tokenName ?? "FedLedger Reward",
          tokenSymbol: opts.tokenSymbol ?? "FLR",
        },
      },
    });
    rmSync(journalDir, { recursive: true, force: true });
    const genesis = await ethers.provider.getBlock(0);
    return {
      chainId,
      network: "localhost",
      deployedAt: new Date().toISOString(),
      ...(genesis?.hash ? { genesisHash: genesis.hash } : {}),
      contracts: {
        RewardToken: { address: await token.getAddress(), deployBlock: fromBlock },
        ContributionLedger: { address: await ledger.getAddress(), deployBlock: fromBlock },
      },
    };
  } finally {
    await connection.close();
  }
}
