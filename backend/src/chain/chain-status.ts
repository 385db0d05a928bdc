import type { PublicClient } from "viem";
import type { Deployment } from "./deployment.js";
import { redactRpcUrl } from "./redact-url.js";

export interface ChainStatus {
  reachable: boolean;
  rpcUrl: string;
  chainId?: number;
  blockNumber?: number;
  contractsDeployed?: boolean;
  contracts?: { RewardToken: string; ContributionLedger: string };
  error?: string;
}

/**
 * Asks the chain whether it is up and whether our contracts are on it. Never throws, and answers
 * within `timeoutMs`: a chain process that accepts connections but does not answer (stopped, or
 * stuck) is reported unreachable instead of holding the health check for the RPC timeout.
 */
export async function readChainStatus(
  client: PublicClient,
  fullRpcUrl: string,
  deployment: Deployment | undefined,
  timeoutMs = 3_000,
): Promise<ChainStatus> {
  // The status is served to anyone: never the provider's key.
  const rpcUrl = redactRpcUrl(fullRpcUrl);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([probe(client, rpcUrl, deployment), timeout]);
  } catch (err) {
    return {
      reachable: false,
      rpcUrl,
      error: `Chain unreachable at ${rpcUrl}: ${(err as Error).message.split("\n")[0]}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

async function probe(
  client: PublicClient,
  rpcUrl: string,
  deployment: Deployment | undefined,
): Promise<ChainStatus> {
  const [chainId, blockNumber] = await Promise.all([client.getChainId(), client.getBlockNumber()]);
  const status: ChainStatus = {
    reachable: true,
    rpcUrl,
    chainId,
    blockNumber: Number(blockNumber),
  };
  if (deployment) {
    const code = await client.getCode({
      address: deployment.contracts.ContributionLedger.address as `0x${string}`,
    });
    status.contracts = {
      RewardToken: deployment.contracts.RewardToken.address,
      ContributionLedger: deployment.contracts.ContributionLedger.address,
    };
    status.contractsDeployed = deployment.chainId === chainId && !!code && code !== "0x";
    if (!status.contractsDeployed) {
      status.error =
        "The contracts in the deployment file are not on this chain: redeploy (`npm run deploy:local`).";
    }
  } else {
    status.contractsDeployed = false;
    status.error = "No deployment file: run `npm run deploy:local`.";
  }
  return status;
}
