import type { PublicClient } from "viem";
import { contributionLedgerAbi, rewardTokenAbi } from "../../../chain/generated/abis.js";
import type { RewardsSummary } from "../domain/index.js";
import type { Deployment } from "./deployment.js";

/** A wallet's rewards, read from the chain alone (events and views), never from the store. */
export async function readRewards(
  client: PublicClient,
  deployment: Deployment,
  address: `0x${string}`,
): Promise<RewardsSummary> {
  const ledger = deployment.contracts.ContributionLedger.address as `0x${string}`;
  const token = deployment.contracts.RewardToken.address as `0x${string}`;
  const [claimable, claimed, balance, logs] = await Promise.all([
    client.readContract({
      address: ledger,
      abi: contributionLedgerAbi,
      functionName: "claimable",
      args: [address],
    }),
    client.readContract({
      address: ledger,
      abi: contributionLedgerAbi,
      functionName: "totalClaimed",
      args: [address],
    }),
    client.readContract({
      address: token,
      abi: rewardTokenAbi,
      functionName: "balanceOf",
      args: [address],
    }),
    client.getContractEvents({
      address: ledger,
      abi: contributionLedgerAbi,
      eventName: "ContributionRecorded",
      args: { node: address },
      fromBlock: BigInt(deployment.contracts.ContributionLedger.deployBlock),
    }),
  ]);
  const recorded = (logs as { args: { reward?: bigint } }[]).reduce(
    (s, l) => s + (l.args.reward ?? 0n),
    0n,
  );
  return {
    address,
    recordedWei: recorded.toString(),
    claimedWei: (claimed as bigint).toString(),
    claimableWei: (claimable as bigint).toString(),
    balanceWei: (balance as bigint).toString(),
  };
}
