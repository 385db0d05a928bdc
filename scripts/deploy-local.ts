// Deploys the FedLedger contracts with Hardhat Ignition to the chain at CHAIN_RPC_URL (the local
// Hardhat node by default) and writes chain/deployments/<chainId>.json for the coordinator and the
// dashboard. The local chain starts empty every time, so each start deploys afresh.
import hre from "hardhat";
import FedLedgerModule from "../ignition/modules/FedLedger.js";
import { writeDeployment } from "../chain/write-deployment.js";

const rpcUrl = process.env.CHAIN_RPC_URL ?? `http://127.0.0.1:${process.env.CHAIN_PORT ?? "8545"}`;

async function main(): Promise<void> {
  const connection = await hre.network.create({
    network: "localhost",
    override: { url: rpcUrl },
  });
  const { ethers, ignition } = connection;
  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  // Every event of these contracts is at or after this block: log scans start here.
  const fromBlock = await ethers.provider.getBlockNumber();
  const { token, ledger } = await ignition.deploy(FedLedgerModule, {
    parameters: {
      FedLedger: {
        tokenName: process.env.TOKEN_NAME ?? "FedLedger Reward",
        tokenSymbol: process.env.TOKEN_SYMBOL ?? "FLR",
      },
    },
  });
  const tokenAddress = await token.getAddress();
  const ledgerAddress = await ledger.getAddress();
  const genesis = await ethers.provider.getBlock(0);
  const file = writeDeployment({
    chainId,
    network: "localhost",
    rpcUrl,
    deployedAt: new Date().toISOString(),
    ...(genesis?.hash ? { genesisHash: genesis.hash } : {}),
    contracts: {
      RewardToken: { address: tokenAddress, deployBlock: fromBlock },
      ContributionLedger: { address: ledgerAddress, deployBlock: fromBlock },
    },
  });
  console.log(`RewardToken        ${tokenAddress}`);
  console.log(`ContributionLedger ${ledgerAddress}`);
  console.log(`deployment written to ${file}`);
  await connection.close?.();
}

main().catch((err: unknown) => {
  console.error(`deploy failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
